#!/usr/bin/env bash
# Delivery speed of a sink (BENCHMARKS.md, issue 26): the store alone, store and deliver, and
# delivery alone (the parts first wait in the spool behind a destination that cannot be written).
# Usage: B=path/to/logdash Benchmarks/sink.sh FILE [SINK_QUERY]   e.g. SINK_QUERY='?compression=zstd'
set -euo pipefail
B=${B:-.build/release/logdash}
FILE=${1:?a log file, e.g. gen_logs.py --format json --lines 1000000 > /tmp/json1m.log}
Q=${2:-}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
run() { /usr/bin/time -f "$1: %e s wall, %U s user, %S s sys, %M KB peak" "$B" ingest --no-follow --store "$W/store" --stats-interval 0 "${@:2}" "$FILE" 2>&1 | grep -v '^logdash: \(stopped\|delivering\)' ; }
rm -rf "$W/store"; run "store alone"
rm -rf "$W/store" "$W/arch"; run "store and deliver" --sink "file://$W/arch$Q"
du -sb "$W/arch" | awk '{print "objects: " $1 " bytes"}'
rm -rf "$W/store" "$W/arch"; touch "$W/arch"
"$B" ingest --no-follow --store "$W/store" --stats-interval 0 --sink "file://$W/arch$Q" "$FILE" >/dev/null 2>&1 || true
rm -f "$W/arch"; run "delivery only" --sink "file://$W/arch$Q"
