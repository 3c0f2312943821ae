#!/bin/sh
# Soak: the dashboard follows a file gaining 2,000 JSON lines a second for DURATION seconds
# (default 600) with --max-memory BUDGET (default 128M; "none" for no option), in tmux; its
# resident memory (VmRSS, and RssAnon — what is not a mapped file) is printed every 30 s.
# At the end the query pane answers a count over the whole range:
#   swift build -c release && Benchmarks/soak.sh 600 128M
# Needs tmux and python3. B=path/to/logdash picks another binary (a comparison run).
DURATION=${1:-600}
BUDGET=${2:-128M}
B=${B:-$(pwd)/.build/release/logdash}
DIR=$(mktemp -d /tmp/logdash-soak.XXXXXX)
GEN=$(cd "$(dirname "$0")/../../shared/bench" 2>/dev/null && pwd)/gen_logs.py
[ -f "$GEN" ] || GEN=$(pwd)/../shared/bench/gen_logs.py
: > "$DIR/live.log"
python3 "$GEN" --format json --follow --rate 2000 --seed 5 >> "$DIR/live.log" &
GENPID=$!
OPT=""
[ "$BUDGET" != none ] && OPT="--max-memory $BUDGET"
S=logdash-soak-$$
tmux new-session -d -s "$S" -x 160 -y 45 "env XDG_CACHE_HOME=$DIR/cache $B $OPT --no-color $DIR/live.log 2>$DIR/err"
sleep 2
PID=$(pgrep -P "$(tmux display -p -t "$S" '#{pane_pid}')" | head -1)
[ -n "$PID" ] || PID=$(tmux display -p -t "$S" '#{pane_pid}')
echo "budget $BUDGET · pid $PID"
t=0
while [ $t -lt "$DURATION" ]; do
  sleep 30; t=$((t + 30))
  rss=$(awk '/^VmRSS/ {print $2}' /proc/$PID/status); anon=$(awk '/^RssAnon/ {print $2}' /proc/$PID/status)
  echo "t=${t}s lines=$(wc -l < "$DIR/live.log") rss=$((rss / 1024))MB anon=$((anon / 1024))MB"
done
kill $GENPID
tmux send-keys -t "$S" q
sleep 1
tmux send-keys -t "$S" "SELECT count(*), min(ts), max(ts) FROM logs" Enter
sleep 5
tmux capture-pane -p -t "$S" | grep -A5 "^sql>" | grep -v "^─" | head -5
tmux capture-pane -p -t "$S" | tail -1
echo "lines written: $(wc -l < "$DIR/live.log")"
tmux kill-session -t "$S"
sleep 1
cat "$DIR/err"
rm -rf "$DIR"
