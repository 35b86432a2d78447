#!/bin/sh
# Side by side with the original Python scripts (issue 15: "measured side by
# side with the original scripts ... compare in one run"): the original's
# tagger, stage-3 analysis and evaluation tables against sptflow's tag,
# analyze and evaluation steps on the same published data, in alternating
# rounds, then the no-op against GNU make (bench/noop/run.sh), one table of
# CPU (user+sys) and peak RSS by /usr/bin/time with the ratios and the
# issue's goals, and a comparison of the outputs.
#
#   git clone https://github.com/HelenaCasademunt/SplitPersonalityTraining /path/to/original
#   SPT_ORIGINAL=/path/to/original SPT_REFERENCE_DATA=/tmp/ref bench/original/run.sh [ROUNDS] [SPTFLOW_BINARY]
#
# ROUNDS defaults to 3; without SPTFLOW_BINARY it builds ./cmd/sptflow. The
# paths may be relative to the current directory. Only the original's
# scripts/ and config/ are used (copied into a private tree under
# ${TMPDIR:-/tmp}/sptflow-bench-original; nothing of the original enters this
# repository); that tree's data/stage_3 is made of untagged copies of the
# published tagged files (bench/tag -prepare), which sptflow reads as its
# source too; data/evaluation_results links to the published results. That
# directory and bench/noop's ${TMPDIR:-/tmp}/sptflow-bench-noop are removed
# first: give runs at the same time a TMPDIR each.
#
# Each round, original then sptflow:
#   tag         python3 scripts/tag_stage_3_data.py  vs  a cold
#               `sptflow run pipelines/reference.yaml tag` in a fresh project,
#               with SPTFLOW_MATERIALIZE=hardlink and =copy
#   analysis    python3 scripts/analyze_stage_3.py --data-dir data/stage_3_tagged
#               --output-dir X --detailed --ignore-errors  vs  `run … analyze
#               --force` in the hard-link project: (a) the first process after
#               the tag run (it verifies the objects tag wrote), (b) a later
#               one, once the stat cache knows its inputs (a researcher
#               rerunning the analysis after changing an option)
#   evaluation  python3 scripts/analyze_evaluation_results.py  vs  `run …
#               evaluation --force`, (a) the first process after the tag run,
#               (b) a later one. (a) digests the 266 MB of
#               results once (inputs are digested when a run first needs
#               them, so the tag run did not), (b) finds them in the stat
#               cache.
#
# The original imports anthropic, openai and dotenv at start (scripts/utils.py)
# though these scripts call no API; when python3 lacks them, empty stand-ins
# are put on PYTHONPATH and the output says so (the original then starts
# faster than with the real SDKs, so the ratios are conservative).
#
# Outputs compared (bench/original, `go run ./bench/original dirs|eval`):
# the original tagger's stage_3_tagged with sptflow's from the same input
# (byte for byte, then with id_numeric's values masked: sptflow numbers per
# topic in sorted file order on purpose, README "Where sptflow differs from
# the original on purpose"); the original's analysis outputs with sptflow's,
# the original run again (untimed) with its directory traversal sorted, so
# that what is left is what the analyses compute, not the order the file
# system listed the files in; the original evaluation script's figures with
# sptflow's evaluation_summary.json.
set -eu
die() { echo "bench/original: $*" >&2; exit 2; }
[ -n "${SPT_ORIGINAL:-}" ] || die "set SPT_ORIGINAL to a checkout of the original repository (git clone https://github.com/HelenaCasademunt/SplitPersonalityTraining)"
[ -n "${SPT_REFERENCE_DATA:-}" ] || die "set SPT_REFERENCE_DATA to the reference data directory (stage_3_tagged/, evaluation_results/)"
command -v python3 >/dev/null 2>&1 || die "python3 is missing: the original scripts need it"
[ -x /usr/bin/time ] || die "/usr/bin/time (GNU time) is missing"
for f in scripts/tag_stage_3_data.py scripts/analyze_stage_3.py scripts/analyze_evaluation_results.py scripts/utils.py config; do
	[ -e "$SPT_ORIGINAL/$f" ] || die "$SPT_ORIGINAL/$f is missing: is SPT_ORIGINAL a checkout of the original repository?"
done
for d in stage_3_tagged evaluation_results/quantitative; do
	[ -d "$SPT_REFERENCE_DATA/$d" ] || die "$SPT_REFERENCE_DATA/$d is missing"
done
rounds=${1:-3}
case $rounds in '' | *[!0-9]* | 0) die "ROUNDS must be a positive number, got '$rounds'" ;; esac
# The paths given may be relative to the caller's directory: made absolute
# here, before the cd to the repository.
SPT_ORIGINAL=$(cd "$SPT_ORIGINAL" && pwd)
ref=$(cd "$SPT_REFERENCE_DATA" && pwd)
bin=
if [ -n "${2:-}" ]; then
	[ -f "$2" ] && [ -x "$2" ] || die "$2 is not an executable sptflow binary"
	bin=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
fi
cd "$(dirname "$0")/../.."
repo=$(pwd)
work=${TMPDIR:-/tmp}/sptflow-bench-original
rm -rf "$work"
mkdir -p "$work"
if [ -z "$bin" ]; then
	bin=$work/sptflow
	CGO_ENABLED=0 go build -o "$bin" ./cmd/sptflow
fi
go build -o "$work/bench-tag" ./bench/tag
go build -o "$work/compare" ./bench/original
evals=$ref/evaluation_results

# The original's tree: its scripts and config, untagged copies as its stage 3.
orig=$work/orig
mkdir -p "$orig/data"
cp -R "$SPT_ORIGINAL/scripts" "$SPT_ORIGINAL/config" "$orig/"
"$work/bench-tag" -prepare "$orig/data/stage_3" "$ref/stage_3_tagged" >/dev/null
ln -s "$evals" "$orig/data/evaluation_results"
src=$orig/data/stage_3
nfiles=$(find "$src" -name '*.json' | wc -l)

stubs=
for m in anthropic openai dotenv; do
	python3 -c "import $m" >/dev/null 2>&1 && continue
	mkdir -p "$work/stubs/$m"
	case $m in
	anthropic) echo 'class Anthropic: pass' ;;
	openai) printf 'class OpenAI: pass\nclass RateLimitError(Exception): pass\n' ;;
	dotenv) printf 'def load_dotenv(*args, **kwargs):\n    return False\n' ;;
	esac >"$work/stubs/$m/__init__.py"
	stubs="$stubs $m"
done
if [ -n "$stubs" ]; then
	PYTHONPATH=$work/stubs${PYTHONPATH:+:$PYTHONPATH}
	export PYTHONPATH
	echo "note: python3 lacks$stubs; empty stand-in modules for them are on PYTHONPATH ($work/stubs)."
	echo "      The original's start is then cheaper than with the real packages: the ratios below are conservative."
fi

# sorted.py runs a script with pathlib's rglob sorted (for the comparison only, never timed).
cat >"$work/sorted.py" <<'EOF'
import pathlib, runpy, sys
_rglob = pathlib.Path.rglob
pathlib.Path.rglob = lambda self, pattern: iter(sorted(_rglob(self, pattern)))
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, str(pathlib.Path(script).resolve().parent))
runpy.run_path(script, run_name="__main__")
EOF

times=$work/times
: >"$times"
# measure KEY DIR CMD...: run CMD in DIR under /usr/bin/time, append
# "KEY cpu rss_kb" to $times; the command's output goes to $work/KEY.log.
# Returns the command's exit status.
measure() {
	key=$1 dir=$2
	shift 2
	rc=0
	(cd "$dir" && /usr/bin/time -f '%U %S %M' -o "$work/time" "$@") >"$work/$key.log" 2>&1 || rc=$?
	awk -v k="$key" 'END { printf "%s %.3f %d\n", k, $1 + $2, $3 }' "$work/time" >>"$times"
	return $rc
}
# spt KEY PROJECT MODE ARGS...: measure a sptflow run in PROJECT with
# SPTFLOW_MATERIALIZE=MODE; it must succeed.
spt() {
	key=$1 proj=$2 mode=$3
	shift 3
	(export SPTFLOW_MATERIALIZE="$mode" && measure "$key" "$proj" "$bin" run pipelines/reference.yaml \
		--set source="$src" --set eval_results="$evals" "$@") ||
		{ tail -5 "$work/$key.log"; die "sptflow $* failed (log: $work/$key.log)"; }
}
project() {
	rm -rf "$1"
	mkdir -p "$1/.sptflow" "$1/pipelines" "$1/config"
	cp "$repo/pipelines/reference.yaml" "$1/pipelines/"
	cp "$repo/config/training_config.json" "$1/config/"
}
# after T SECONDS: sleep until SECONDS have passed since the time T (date +%s).
after() {
	left=$(($1 + $2 - $(date +%s)))
	[ "$left" -le 0 ] || sleep "$left"
}
# orig_rc WHAT RC LOG KNOWN WHY: say that the original's WHAT exited RC
# (after writing its outputs, which the caller checked) with LOG's last
# line, and WHY when that line holds KNOWN, a failure the published data
# causes.
orig_rc() {
	if [ "$2" -ne 0 ]; then
		last=$(grep -v '^ *$' "$3" | tail -1)
		echo "  the original's $1 exited $2 after writing its outputs: $last"
		case $last in
		*"$4"*) echo "    (expected: $5; its outputs are written before it fails, so its time stands)" ;;
		esac
	fi
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "$(nproc) cores, load average $load_before; $nfiles untagged input files; $rounds rounds; sptflow: $bin"
i=1
while [ "$i" -le "$rounds" ]; do
	echo "round $i"
	rc=0
	measure orig:tag "$orig" python3 scripts/tag_stage_3_data.py || rc=$?
	n=$(find "$orig/data/stage_3_tagged" -name '*.json' | wc -l)
	[ "$n" -eq "$nfiles" ] || die "the original tagger wrote $n of $nfiles files (exit $rc; log: $work/orig:tag.log)"
	[ "$i" -gt 1 ] || orig_rc tagger "$rc" "$work/orig:tag.log" \
		"No baseline interventions were found" "its last check wants *_baseline interventions to remove, and the published files hold none"
	hl=$work/proj-hardlink
	project "$hl"
	spt spt:tag-hardlink "$hl" hardlink tag
	tagged=$(date +%s)
	cp=$work/proj-copy
	project "$cp"
	spt spt:tag-copy "$cp" copy tag

	rc=0
	rm -rf "$orig/analysis"
	measure orig:analysis "$orig" python3 scripts/analyze_stage_3.py --data-dir data/stage_3_tagged \
		--output-dir analysis --detailed --ignore-errors || rc=$?
	[ -f "$orig/analysis/summary_report.json" ] || die "the original analysis wrote no summary_report.json (exit $rc; log: $work/orig:analysis.log)"
	[ "$i" -gt 1 ] || orig_rc analysis "$rc" "$work/orig:analysis.log" \
		"Sanity check failures" "it exits 1 on sanity-check failures even with --ignore-errors, once its results are saved, and the published data has such failures"
	spt spt:analysis-first "$hl" hardlink analyze --force
	# Objects written less than 2 s ago are not cached (the stat cache's
	# racy window): wait it out, let one process cache them, then measure.
	after "$tagged" 3
	(cd "$hl" && SPTFLOW_MATERIALIZE=hardlink "$bin" run pipelines/reference.yaml --set source="$src" --set eval_results="$evals" analyze --force >/dev/null 2>&1)
	spt spt:analysis-later "$hl" hardlink analyze --force

	measure orig:evaluation "$orig" python3 scripts/analyze_evaluation_results.py >/dev/null ||
		die "the original evaluation script failed (log: $work/orig:evaluation.log)"
	spt spt:evaluation-first "$hl" hardlink evaluation --force
	spt spt:evaluation-later "$hl" hardlink evaluation --force
	i=$((i + 1))
done

echo "no-op: bench/noop/run.sh $bin"
SPT_REFERENCE_DATA=$ref "$repo/bench/noop/run.sh" "$bin" | tee "$work/noop.txt" | sed 's/^/  /'
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

echo
echo "$(nproc) cores (nproc); load average before $load_before, after $load_after; $rounds rounds, CPU = user+sys, median (range)"
"$work/compare" table "$times" "$work/noop.txt"

echo
echo "Outputs (last round):"
echo "- tagged files, the original tagger vs sptflow (hard links), same untagged input:"
"$work/compare" dirs -mask id_numeric "$orig/data/stage_3_tagged" "$hl/data/reference/stage_3_tagged" | sed 's/^/  /'
echo "- tagged files, sptflow hard links vs copies:"
"$work/compare" dirs "$hl/data/reference/stage_3_tagged" "$cp/data/reference/stage_3_tagged" | sed 's/^/  /'
echo "- stage-3 analysis, the original as timed vs sptflow (the original lists files in file system order, sptflow in sorted order: examples and key orders follow):"
"$work/compare" dirs -known analysis -mask id_numeric -paths 0 "$orig/analysis" "$hl/data/reference/stage_3_analysis" | head -1 | sed 's/^/  /'
(cd "$orig" && python3 "$work/sorted.py" scripts/analyze_stage_3.py --data-dir data/stage_3_tagged \
	--output-dir analysis-sorted --detailed --ignore-errors >"$work/orig-analysis-sorted.log" 2>&1) || true
echo "- stage-3 analysis, the original with its traversal sorted (untimed) vs sptflow:"
"$work/compare" dirs -known analysis -mask id_numeric -paths "${PATHS:-8}" "$orig/analysis-sorted" "$hl/data/reference/stage_3_analysis" | sed 's/^/  /'
(cd "$orig" && python3 scripts/analyze_evaluation_results.py >"$work/orig-evaluation.txt" 2>&1)
echo "- evaluation, the original's printed figures vs sptflow's evaluation_summary.json:"
"$work/compare" eval "$work/orig-evaluation.txt" "$hl/data/reference/evaluation_analysis/evaluation_summary.json" | sed 's/^/  /'
echo "(work tree: $work)"
