#!/bin/sh
# Ingest throughput alone, with ten streaming queries, and with those and twenty alarms
# (Benchmarks/alarms20.yaml) — 1M JSON lines, --no-follow:
#   python3 ../shared/bench/gen_logs.py --format json --lines 1000000 --seed 42 > /tmp/big.json.log
#   swift build -c release && Benchmarks/stream.sh /tmp/big.json.log
F=${1:-/tmp/big.json.log}
B=.build/release/logdash
set -- \
 "SELECT window_start, count(*) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)" \
 "SELECT window_start, count_if(status >= 500) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE)" \
 "SELECT service, window_start, avg(latency_ms) FROM logs GROUP BY service, TUMBLE(ts, INTERVAL '1' MINUTE)" \
 "SELECT path, window_start, max(latency_ms) FROM logs GROUP BY path, TUMBLE(ts, INTERVAL '5' MINUTE)" \
 "SELECT level, window_start, count(*) FROM logs GROUP BY level, TUMBLE(ts, INTERVAL '10' SECOND)" \
 "SELECT window_start, sum(bytes) FROM logs GROUP BY HOP(ts, INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)" \
 "SELECT host, window_start, count(*) FROM logs WHERE status >= 500 GROUP BY host, TUMBLE(ts, INTERVAL '1' MINUTE)" \
 "SELECT window_start, min(latency_ms), max(latency_ms) FROM logs GROUP BY TUMBLE(ts, INTERVAL '1' HOUR)" \
 "SELECT status, window_start, count(*) FROM logs GROUP BY status, TUMBLE(ts, INTERVAL '1' MINUTE)" \
 "SELECT service, window_start, window_end, count(*) FROM logs WHERE level = 'error' GROUP BY service, SESSION(ts, INTERVAL '30' SECOND)"
for i in 1 2 3; do
  /usr/bin/time -f "plain: %e s (cpu %U+%S)" $B ingest --no-follow --stats-interval 0 "$F" >/dev/null 2>/tmp/sb.err; tail -1 /tmp/sb.err
done
for i in 1 2 3; do
  /usr/bin/time -f "10 streams: %e s (cpu %U+%S)" $B ingest --no-follow --stats-interval 0 "$F" --stream "$1" --stream "$2" --stream "$3" --stream "$4" --stream "$5" --stream "$6" --stream "$7" --stream "$8" --stream "$9" --stream "${10}" >/tmp/sb.out 2>/tmp/sb.err; tail -1 /tmp/sb.err; wc -l < /tmp/sb.out
done
for i in 1 2 3; do
  /usr/bin/time -f "10 streams + 20 alarms: %e s (cpu %U+%S)" $B ingest --no-follow --stats-interval 0 "$F" --alarms Benchmarks/alarms20.yaml --stream "$1" --stream "$2" --stream "$3" --stream "$4" --stream "$5" --stream "$6" --stream "$7" --stream "$8" --stream "$9" --stream "${10}" >/tmp/sb.out 2>/tmp/sb.err; tail -1 /tmp/sb.err; wc -l < /tmp/sb.out
done
