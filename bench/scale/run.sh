#!/bin/sh
# Scaling run of the offline steps: the published stage-3 data at 1x, 2x, 4x
# and 8x (each batch file copied K times within its topic, as
# batch_…_cK.json hard links: no extra disk; the topics stay those the
# training config selects, so export sees them), each step run by the CLI in its own process so its
# CPU time and peak RSS are its own (plus the engine's, reading the lock
# and the store): tag (with load), then analyze, then export, each reusing
# what the previous one stored, then the evaluation tables. Prints one table
# with the core count.
#
# The evaluation result files are scaled the same way, but a plain copy
# would be a repeated run of the same evaluation, which the step reports and
# does not count: copy K (K > 1) is instead the same evaluation at another
# checkpoint step (metadata "step" gets the suffix _cK; a baseline, which
# has none, gets step "cK"), a full copy (some 270 MB per K). Step is part
# of an evaluation's identity but not of any grouping, so at Kx every run
# and every figure's entry counts are K times those at 1x, and every
# accuracy is the same. The evaluation runs twice in a project of its own:
# first cold (row evaluation: its inputs digested, the engine's part), then
# again with --force (row eval-force: the step's own cost, the inputs known
# to the stat cache).
#
#   SPT_REFERENCE_DATA=/tmp/ref bench/scale/run.sh [SCALES...]   (default: 1 2 4 8)
#
# Outputs are hard-linked to the store (SPTFLOW_MATERIALIZE=hardlink) to
# keep 8x within a few hundred MB of extra disk.
set -eu
: "${SPT_REFERENCE_DATA:?set SPT_REFERENCE_DATA to the reference data directory}"
scales=${*:-1 2 4 8}
for n in $scales; do
	case $n in '' | *[!0-9]* | 0) echo "bench/scale: each SCALE must be a positive number, got '$n'" >&2; exit 2 ;; esac
done
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=${TMPDIR:-/tmp}/sptflow-bench-scale
mkdir -p "$work"
CGO_ENABLED=0 go build -o "$work/sptflow" ./cmd/sptflow
src=$SPT_REFERENCE_DATA/stage_3_tagged
nosource=$work/nosource # the topic directories, empty
for t in "$src"/*/; do mkdir -p "$nosource/$(basename "$t")"; done
export SPTFLOW_MATERIALIZE=hardlink
row() { # scale step files: the row of the last timed run
	read -r user sys wall rss <"$work/time"
	awk -v n="${1}x" -v s="$2" -v f="$3" -v u="$user" -v y="$sys" -v w="$wall" -v r="$rss" \
		'BEGIN { printf "%-6s %-10s %7d %9.2f %9.2f %9.0f\n", n, s, f, u + y, w, r / 1024 }'
}
printf '%s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-6s %-10s %7s %9s %9s %9s\n' scale step files "CPU s" "wall s" "RSS MB"
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
	evals=$work/e$n
	if [ ! -d "$evals" ]; then
		mkdir -p "$evals.tmp/quantitative"
		for f in "$SPT_REFERENCE_DATA"/evaluation_results/quantitative/results_*.json; do
			b=$(basename "$f" .json)
			ln "$f" "$evals.tmp/quantitative/$b.json"
			k=2
			while [ "$k" -le "$n" ]; do
				if head -c 4096 "$f" | grep -q '"step": "'; then
					sed -E "0,/\"step\": \"([^\"]*)\"/s//\"step\": \"\\1_c$k\"/" "$f" >"$evals.tmp/quantitative/${b}_c$k.json"
				else
					sed -E "0,/\"metadata\": \{/s//\"metadata\": {\"step\": \"c$k\", /" "$f" >"$evals.tmp/quantitative/${b}_c$k.json"
				fi
				k=$((k + 1))
			done
		done
		mv "$evals.tmp" "$evals"
	fi
	files=$(find "$data" -name '*.json' | wc -l)
	efiles=$(find "$evals" -name '*.json' | wc -l)
	proj=$work/proj$n
	rm -rf "$proj"
	mkdir -p "$proj/.sptflow" "$proj/pipelines" "$proj/config"
	cp "$repo/pipelines/reference.yaml" "$proj/pipelines/"
	cp "$repo/config/training_config.json" "$proj/config/"
	for step in tag analyze export; do
		( cd "$proj" && /usr/bin/time -f '%U %S %e %M' -o "$work/time" "$work/sptflow" run pipelines/reference.yaml "$step" \
			--set source="$data" --set eval_results="$SPT_REFERENCE_DATA/evaluation_results" \
			--data out >"$work/log" 2>&1 ) || { tail -5 "$work/log"; exit 1; }
		row "$n" "$step" "$files"
	done
	# The evaluation in a project of its own whose source has no batch
	# files: a cold run digests the inputs of every node, not only of the
	# node it runs, so here it digests only the evaluation's.
	rm -rf "$proj" && mkdir -p "$proj/.sptflow" "$proj/pipelines" "$proj/config"
	cp "$repo/pipelines/reference.yaml" "$proj/pipelines/"
	cp "$repo/config/training_config.json" "$proj/config/"
	for step in evaluation eval-force; do
		force=
		[ "$step" = eval-force ] && force=--force
		( cd "$proj" && /usr/bin/time -f '%U %S %e %M' -o "$work/time" "$work/sptflow" run pipelines/reference.yaml evaluation $force \
			--set source="$nosource" --set eval_results="$evals" \
			--data out >"$work/log" 2>&1 ) || { tail -5 "$work/log"; exit 1; }
		row "$n" "$step" "$efiles"
	done
	rm -rf "$proj"
done
