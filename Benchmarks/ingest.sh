#!/usr/bin/env bash
# Live-ingest benchmarks (issue 5): syslog over TCP in messages/s with zero loss, parsing
# included; append → queryable latency; idle CPU with 10 followed files. Beside them, Debian's
# rsyslog receiving the same stream over TCP (imtcp, written to a file) — the receiver a
# fleet's syslog usually goes to.
#
#   Benchmarks/ingest.sh [LINES]      (default 2000000)
set -euo pipefail
cd "$(dirname "$0")"
lines=${1:-2000000}
data=${TMPDIR:-/tmp}/logdash-ingest-bench
mkdir -p "$data"
for f in syslog5424 syslog3164; do
    [ -s "$data/$f.$lines.log" ] || python3 ../../shared/bench/gen_logs.py --format "$f" --lines "$lines" > "$data/$f.$lines.log"
done
swift build -c release >/dev/null
bench=.build/release/logdash-bench

echo "== logdash: syslog over loopback TCP, one sending client, until every record is stored"
$bench ingest "$data/syslog5424.$lines.log" --runs 3 | tail -1
$bench ingest "$data/syslog5424.$lines.log" --runs 3 --octet | tail -1
$bench ingest "$data/syslog3164.$lines.log" --runs 3 | tail -1

echo "== rsyslog 8 (imtcp → omfile), the same RFC 5424 stream"
if command -v rsyslogd >/dev/null; then
    work=$(mktemp -d)
    port=$((20000 + RANDOM % 20000))
    cat > "$work/rsyslog.conf" <<CONF
global(workDirectory="$work")
module(load="imtcp")
input(type="imtcp" address="127.0.0.1" port="$port")
action(type="omfile" file="$work/out.log")
CONF
    rsyslogd -n -f "$work/rsyslog.conf" -i "$work/pid" &
    rpid=$!
    sleep 1
    start=$(date +%s.%N)
    cat "$data/syslog5424.$lines.log" > "/dev/tcp/127.0.0.1/$port"
    while [ "$(wc -l < "$work/out.log" 2>/dev/null || echo 0)" -lt "$lines" ]; do sleep 0.05; done
    end=$(date +%s.%N)
    kill "$rpid"; wait "$rpid" 2>/dev/null || true
    python3 -c "print(f'rsyslog: $lines messages in {$end - $start:.3f} s: {$lines / ($end - $start):.0f} messages/s')"
    rm -rf "$work"
else
    echo "rsyslog not installed (apt-get install rsyslog)"
fi

echo "== logdash: a line appended to a followed file → queryable"
$bench latency --samples 1000
$bench latency --samples 1000 --interval 1ms
echo "== logdash: idle CPU"
$bench idle --seconds 30
