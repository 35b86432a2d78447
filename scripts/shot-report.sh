#!/bin/sh
# shot-report.sh REPORT.html OUT.png — screenshot an HTML report in headless
# Chromium (Debian package `chromium`), to check that it renders offline.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: $0 REPORT.html OUT.png" >&2
	exit 2
fi
report=$(realpath "$1")
out=$(realpath -m "$2")
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	echo "$0: chromium not found; install it with: apt-get update && apt-get install -y chromium" >&2
	exit 1
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--user-data-dir="$profile" --screenshot="$out" --window-size=1400,3000 \
	"file://$report" >/dev/null 2>&1
test -s "$out" && echo "wrote $out"
