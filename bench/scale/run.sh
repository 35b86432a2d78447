#!/bin/sh
# Scaling run of the offline steps: the published stage-3 data at 1x, 2x, 4x
# and 8x (each batch file copied K times within its topic, as
# batch_…_cK.json hard links: no extra disk; the topics stay those the
# training config selects, so export sees them), each step run by the CLI in its own process so its
# CPU time and peak RSS are its own (plus the engine's, reading the lock
# and the store): tag (with load), then analyze, then export, each reusing
# what the previous one stored. Prints one table with the core count.
#
#   SPT_REFERENCE_DATA=/tmp/ref bench/scale/run.sh [SCALES...]   (default: 1 2 4 8)
#
# Outputs are hard-linked to the store (SPTFLOW_MATERIALIZE=hardlink) to
# keep 8x within a few hundred MB of extra disk.
set -eu
: "${SPT_REFERENCE_DATA:?set SPT_REFERENCE_DATA to the reference data directory}"
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=${TMPDIR:-/tmp}/sptflow-bench-scale
mkdir -p "$work"
go build -o "$work/sptflow" ./cmd/sptflow
src=$SPT_REFERENCE_DATA/stage_3_tagged
scales=${*:-1 2 4 8}
export SPTFLOW_MATERIALIZE=hardlink
printf '%s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-8s %7s %9s %9s %9s\n' scale step files "CPU s" "wall s" "RSS MB"
for n in $scales; do
	data=$work/x$n
	if [ ! -d "$data" ]; then
		for t in "$src"/*/; do
			t=$(basename "$t")
			mkdir -p "$data/$t"
			for f in "$src/$t"/*.json; do
				[ -e "$f" ] || continue
				b=$(basename "$f" .json)
				k=1
				while [ "$k" -le "$n" ]; do
					name=$b.json
					[ "$k" -gt 1 ] && name=${b}_c$k.json
					ln "$f" "$data/$t/$name"
					k=$((k + 1))
				done
			done
		done
	fi
	files=$(find "$data" -name '*.json' | wc -l)
	proj=$work/proj$n
	rm -rf "$proj"
	mkdir -p "$proj/.sptflow" "$proj/pipelines" "$proj/config"
	cp "$repo/pipelines/reference.yaml" "$proj/pipelines/"
	cp "$repo/config/training_config.json" "$proj/config/"
	for step in tag analyze export; do
		( cd "$proj" && /usr/bin/time -f '%U %S %e %M' -o "$work/time" "$work/sptflow" run pipelines/reference.yaml "$step" \
			--set source="$data" --set eval_results="$SPT_REFERENCE_DATA/evaluation_results" \
			--data out >"$work/log" 2>&1 ) || { tail -5 "$work/log"; exit 1; }
		read -r user sys wall rss <"$work/time"
		awk -v n="${n}x" -v s="$step" -v f="$files" -v u="$user" -v y="$sys" -v w="$wall" -v r="$rss" \
			'BEGIN { printf "%-6s %-8s %7d %9.2f %9.2f %9.0f\n", n, s, f, u + y, w, r / 1024 }'
	done
	rm -rf "$proj"
done
