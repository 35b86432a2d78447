#!/bin/sh
# Benchmark the tag step over the published reference data: prepares untagged
# copies once (not timed), then tags them in a fresh process and prints wall
# time, CPU and peak memory. Usage: SPT_REFERENCE_DATA=/tmp/refdata bench/tag/run.sh [flags]
set -eu
: "${SPT_REFERENCE_DATA:?set SPT_REFERENCE_DATA to the reference data directory}"
cd "$(dirname "$0")/../.."
work=${TMPDIR:-/tmp}/sptflow-bench-tag
mkdir -p "$work"
go build -o "$work/bench-tag" ./bench/tag
if [ ! -d "$work/untagged" ]; then
	"$work/bench-tag" -prepare "$work/untagged" "$SPT_REFERENCE_DATA/stage_3_tagged"
fi
for i in 1 2 3; do
	"$work/bench-tag" "$@" "$work/untagged"
done
