#!/bin/bash
# OTLP/HTTP logs against NDJSON into `logdash ingest --no-store http://…`: 1,000,000 records,
# 100 requests of 10,000 on one kept-alive connection (Benchmarks/otlp_post.py builds the
# protobuf bodies with opentelemetry-proto, and the same records as NDJSON), three interleaved
# rounds; the time from the first request to every record stored (ingest stopped with SIGINT
# once the last answer came, its --query counting them).
#
#   Benchmarks/otlp.sh [LOGDASH-BINARY]   (default: .build/release/logdash; needs /tmp/logdash-otel)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-.build/release/logdash}
P=/tmp/logdash-otel/bin/python
for round in 1 2 3; do
  for mode in otlp ndjson; do
    port=$((4400 + RANDOM % 500))
    "$B" ingest --no-store "http://127.0.0.1:$port" --stats-interval 0 --query "select count(*) from logs" -o csv > /tmp/bo.out 2> /tmp/bo.err &
    pid=$!
    sleep 1
    "$P" Benchmarks/otlp_post.py "$port" "$mode" > /tmp/bo.client
    s=$(cut -d' ' -f1 /tmp/bo.client)
    kill -INT $pid; wait $pid
    e=$(date +%s.%N)
    echo "$mode round $round: $(cut -d' ' -f2- /tmp/bo.client) | to stored $(echo "$e - $s" | bc) s | $(tail -1 /tmp/bo.out) records"
  done
done
