#!/usr/bin/env bash
# Parse-stage throughput: logdash's parser on 1M-line files of every gen_logs.py format, on one
# worker and on every core, and DuckDB's read_json loading the JSON file in the same run.
#
#   Benchmarks/parse.sh [LINES]        (default 1000000; files are cached in /tmp/logdash-bench)
#
# Needs python3; DuckDB is installed into /tmp/bench-venv from PyPI on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
lines=${1:-1000000}
dir=/tmp/logdash-bench
gen=../shared/bench/gen_logs.py
mkdir -p "$dir"
for f in json logfmt combined syslog5424 syslog3164 java; do
    out="$dir/$f-$lines.log"
    [ -s "$out" ] || python3 "$gen" --format "$f" --lines "$lines" --seed 42 > "$out"
done
swift build -c release --package-path Benchmarks >/dev/null
echo "## logdash $(git rev-parse --short HEAD), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
./Benchmarks/.build/release/logdash-bench parse --runs 5 \
    "$dir"/json-"$lines".log "$dir"/logfmt-"$lines".log "$dir"/combined-"$lines".log \
    "$dir"/syslog5424-"$lines".log "$dir"/syslog3164-"$lines".log "$dir"/java-"$lines".log
[ -x /tmp/bench-venv/bin/python ] || { python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install -q duckdb; }
/tmp/bench-venv/bin/python - "$dir/json-$lines.log" <<'PY'
import statistics, sys, time, duckdb
f = sys.argv[1]
print(f"\n## DuckDB {duckdb.__version__}: read_json of the same file into a table (all columns parsed), median of 5")
print("| threads | median s | lines/s | MB/s |")
print("|---:|---:|---:|---:|")
import os
size = os.path.getsize(f)
n = sum(1 for _ in open(f, 'rb'))
for threads in (1, 2):
    runs = []
    for i in range(6):
        con = duckdb.connect()
        con.execute(f"SET threads={threads}")
        t = time.perf_counter()
        con.execute(f"CREATE TABLE logs AS SELECT * FROM read_json('{f}', format='newline_delimited')")
        dt = time.perf_counter() - t
        if i: runs.append(dt)
        con.close()
    m = statistics.median(runs)
    print(f"| {threads} | {m:.3f} | {n/m:,.0f} | {size/1e6/m:.0f} |")
PY
