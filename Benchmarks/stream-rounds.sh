#!/bin/sh
# Benchmarks/stream.sh's three runs — ingest alone, with the ten streaming queries, and with
# those and Benchmarks/alarms20.yaml — interleaved ROUNDS times, and each round's shares of
# plain ingest throughput (quartiles over the rounds). The host's speed drifts by tens of per
# cent over minutes; a ratio taken within one round is steadier than a ratio of medians.
# With BASE (another build of logdash), each round also runs it with queries and alarms.
#   Benchmarks/stream-rounds.sh /tmp/big.json.log 15 [BASE]
F=${1:-/tmp/big.json.log}
N=${2:-9}
BASE=$3
B=.build/release/logdash
Q=$(python3 -c "
import shlex
text = open('Benchmarks/stream.sh').read().split('set -- \\\\\n')[1].split('\nfor')[0]
print(' '.join('--stream ' + shlex.quote(shlex.split(l.rstrip(' \\\\'))[0]) for l in text.split('\n') if l.strip()))")
OUT=$(mktemp -d)
for r in $(seq "$N"); do
  /usr/bin/time -f "%e %U %S" $B ingest --no-follow --stats-interval 0 "$F" >/dev/null 2>>"$OUT/plain"
  eval /usr/bin/time -f \"%e %U %S\" $B ingest --no-follow --stats-interval 0 \"\$F\" $Q >/dev/null 2>>"$OUT/queries"
  eval /usr/bin/time -f \"%e %U %S\" $B ingest --no-follow --stats-interval 0 \"\$F\" --alarms Benchmarks/alarms20.yaml $Q >/dev/null 2>>"$OUT/all"
  if [ -n "$BASE" ]; then
    eval /usr/bin/time -f \"%e %U %S\" $BASE ingest --no-follow --stats-interval 0 \"\$F\" --alarms Benchmarks/alarms20.yaml $Q >/dev/null 2>>"$OUT/base"
  fi
done
python3 - "$OUT" <<'PY'
import os, statistics, sys
d = sys.argv[1]
runs = {k: [l.split() for l in open(os.path.join(d, k)) if l[:1].isdigit()] for k in os.listdir(d)}
plain = runs['plain']
print("%d rounds; wall time median (CPU median)" % len(plain))
for k, name in [('plain', 'ingest alone'), ('queries', '+ 10 queries'), ('all', '+ 10 queries + 20 alarms'), ('base', 'BASE, + queries + alarms')]:
    if k not in runs: continue
    w = statistics.median(float(x[0]) for x in runs[k]); c = statistics.median(float(x[1]) + float(x[2]) for x in runs[k])
    line = "  %-26s %.2f s (%.2f s CPU)" % (name, w, c)
    if k != 'plain':
        shares = sorted(float(p[0]) / float(x[0]) for p, x in zip(plain, runs[k]))
        n = len(shares)
        line += "   share of plain, per round: %.0f %% · %.0f %% · %.0f %% (quartiles)" % (100 * shares[n // 4], 100 * statistics.median(shares), 100 * shares[(3 * n) // 4])
    print(line)
PY
rm -rf "$OUT"
