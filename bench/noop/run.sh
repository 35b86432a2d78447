#!/bin/sh
# No-op cost of the reference pipeline against GNU make: a fresh project
# runs pipelines/reference.yaml once on the published data, then each
# command runs 100 times in a shell loop, 3 times, and the CPU (user+sys of
# the loop, its fork and exec included) per run is printed: the no-op
# `sptflow run` and `sptflow status`, `sptflow version` (the binary's
# start alone), and `make -q` / `make -rRq` over a Makefile with one rule
# per partition (17) and the same input files as prerequisites.
#
#   SPT_REFERENCE_DATA=/tmp/ref bench/noop/run.sh [SPTFLOW_BINARY]
set -eu
: "${SPT_REFERENCE_DATA:?set SPT_REFERENCE_DATA to the reference data directory}"
# The paths given may be relative to the caller's directory: made absolute
# here, before the cd to the repository.
ref=$(cd "$SPT_REFERENCE_DATA" && pwd)
bin=
if [ -n "${1:-}" ]; then
	[ -f "$1" ] && [ -x "$1" ] || { echo "bench/noop: $1 is not an executable sptflow binary" >&2; exit 2; }
	bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fi
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=${TMPDIR:-/tmp}/sptflow-bench-noop
rm -rf "$work"
mkdir -p "$work/proj/.sptflow" "$work/proj/pipelines" "$work/proj/config" "$work/make/out"
if [ -z "$bin" ]; then
	bin=$work/sptflow
	CGO_ENABLED=0 go build -o "$bin" ./cmd/sptflow
fi
cp "$repo/pipelines/reference.yaml" "$work/proj/pipelines/"
cp "$repo/config/training_config.json" "$work/proj/config/"
src=$ref/stage_3_tagged
evals=$ref/evaluation_results
args="--set source=$src --set eval_results=$evals"

# The Makefile: load and tag per topic with data, analyze, export, evaluation.
mk=$work/make/Makefile
all= tags=
rules=
for t in "$src"/*/; do
	t=$(basename "$t")
	set -- "$src/$t"/*.json
	[ -e "$1" ] || continue
	rules="$rules
out/load_$t: $*
	touch \$@
out/tag_$t: out/load_$t
	touch \$@"
	all="$all out/load_$t out/tag_$t"
	tags="$tags out/tag_$t"
done
set -- "$evals"/quantitative/results_*.json
{
	echo "all:$all out/analyze out/export out/evaluation"
	echo "$rules"
	printf 'out/analyze:%s\n\ttouch $@\nout/export:%s\n\ttouch $@\n' "$tags" "$tags"
	printf 'out/evaluation: %s\n\ttouch $@\n' "$*"
} >"$mk"
(cd "$work/make" && make -s all)

(cd "$work/proj" && "$bin" run pipelines/reference.yaml $args >/dev/null 2>&1)
# Files written less than 2 s ago are hashed but not cached (the stat
# cache's racy window): wait it out, then one run caches them.
sleep 3
(cd "$work/proj" && "$bin" run pipelines/reference.yaml $args >/dev/null 2>&1)

# per NAME DIR CMD...: CPU ms per run of CMD, 100 runs, 3 times.
per() {
	name=$1 dir=$2
	shift 2
	printf '%-16s' "$name"
	for i in 1 2 3; do
		/usr/bin/time -f '%U %S' sh -c 'cd "$0" && i=0 && while [ $i -lt 100 ]; do "$@" >/dev/null 2>&1; i=$((i+1)); done' "$dir" "$@" 2>&1 |
			awk '{printf " %6.1f", ($1+$2)*10}'
	done
	echo ' ms CPU per run'
}
printf '%s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
per "sptflow run" "$work/proj" "$bin" run pipelines/reference.yaml $args
per "sptflow status" "$work/proj" "$bin" status pipelines/reference.yaml $args
per "sptflow version" "$work/proj" "$bin" version
per "make -q" "$work/make" make -q all
per "make -rRq" "$work/make" make -rRq all
