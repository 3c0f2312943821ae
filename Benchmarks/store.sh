#!/usr/bin/env bash
# The store on disk (issue 9): ingest throughput with --store against the in-memory store,
# size on disk against the raw bytes, reopen time and memory of a large store, and Q1–Q7 on the
# reopened store against the same records loaded in memory.
#
#   Benchmarks/store.sh [LINES] [BIG]   (default 1000000 lines for ingest; BIG: a gen_logs JSON file
#                                        of 5M lines, stored twice for a 10M-record store)
set -euo pipefail
cd "$(dirname "$0")"
lines=${1:-1000000}
data=${TMPDIR:-/tmp}/logdash-store-bench
mkdir -p "$data"
file="$data/json.$lines.log"
[ -s "$file" ] || python3 ../../shared/bench/gen_logs.py --format json --lines "$lines" > "$file"
(cd .. && swift build -c release >/dev/null)
swift build -c release >/dev/null
logdash=../.build/release/logdash
bench=.build/release/logdash-bench
t() { /usr/bin/time -f "%e s, %M KB peak" "$@" 2>&1 | grep -v '^logdash: ' ; }

echo "== ingest $(du -h "$file" | cut -f1) of JSON ($lines lines), a file's history (parsed in place)"
echo -n "in memory (--no-store):            "; t $logdash ingest --no-follow --no-store --stats-interval 0 "$file"
for mode in interval always; do
    rm -rf "$data/s"
    echo -n "--store, --fsync $mode:          "; t $logdash ingest --no-follow --store "$data/s" --fsync "$mode" --stats-interval 0 "$file"
done
echo "on disk: $(du -sb "$data/s" | cut -f1) bytes for $(stat -c %s "$file") raw bytes"

echo "== the same lines through the delivery buffer (stdin): the write-ahead log, then sealed segment files"
echo -n "in memory (--no-store):            "; t sh -c "$logdash ingest --no-follow --no-store --stats-interval 0 - < '$file'"
for mode in never interval always; do
    rm -rf "$data/s"
    echo -n "--store, --fsync $mode:          "; t sh -c "$logdash ingest --no-follow --store '$data/s' --fsync $mode --stats-interval 0 - < '$file'"
done

big=${2:-}
if [ -n "$big" ]; then
    echo "== a store of two copies of $big, reopened"
    [ -s "$data/big-b.log" ] || cp "$big" "$data/big-b.log"
    if [ ! -d "$data/big" ]; then
        $logdash ingest --no-follow --stats-interval 0 --store "$data/big" "$big" "$data/big-b.log" 2>&1 | tail -1
    fi
    echo "on disk: $(du -sh "$data/big" | cut -f1)"
    $bench query --store "$data/big" --runs 5
    echo "== the same records loaded in memory"
    $bench query "$big" "$data/big-b.log" --runs 5
fi
