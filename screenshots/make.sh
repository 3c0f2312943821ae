#!/usr/bin/env bash
# Makes the README's screenshots from real runs: logdash in a private tmux server, keys sent
# as a person would, the pane captured with its colours (capture-pane -e) and rendered to PNG
# cell by cell (render.py, Pillow and DejaVu Sans Mono).
#
#   screenshots/make.sh      (needs tmux, python3 with Pillow: pip install pillow)
set -euo pipefail
cd "$(dirname "$0")/.."
swift build >/dev/null
bin=$PWD/.build/debug/logdash
out=screenshots
sock=logdash-shots-$$
t() { tmux -L "$sock" "$@"; }
trap 't kill-server 2>/dev/null || true' EXIT
wait_for() {  # wait until the pane shows $1
    for _ in $(seq 1 100); do t capture-pane -p -t shots | grep -qF -- "$1" && return 0; sleep 0.1; done
    echo "screenshots: timed out waiting for '$1'" >&2; return 1
}
shot() {  # $1: name
    sleep 0.3
    t capture-pane -e -p -t shots > "$out/$1.txt"
    python3 "$out/render.py" "$out/$1.txt" "$out/$1.png"
    rm "$out/$1.txt"
    echo "screenshots: $out/$1.png"
}
t -f /dev/null new-session -d -s shots -x 120 -y 40 "env TERM=xterm-256color LANG=C.UTF-8 $bin 'demo://?lines=20000'"
wait_for "20000 rec"
wait_for "top status"
shot dashboard
for _ in $(seq 1 12); do  # Tab to the top statuses, then the 502s
    t send-keys -t shots Tab; sleep 0.3
    t capture-pane -p -t shots | grep -qF "top status ›" && break
done
for _ in $(seq 1 6); do t send-keys -t shots j; done
wait_for "top status › 502"
t send-keys -t shots Enter
wait_for "filter: status = 502"
shot drill-down
t kill-session -t shots
t -f /dev/null new-session -d -s shots -x 140 -y 44 "env TERM=xterm-256color LANG=C.UTF-8 $bin --dashboard $out/gallery.yaml 'demo://?lines=20000'"
wait_for "20000 rec"
wait_for "pivot"
sleep 1
shot charts
t kill-session -t shots
t -f /dev/null new-session -d -s shots -x 80 -y 24 "env TERM=xterm-256color LANG=C.UTF-8 $bin --theme light 'demo://?lines=20000'"
wait_for "20000 rec"
wait_for "newest records"
shot dashboard-80x24-light
t kill-session -t shots
t -f /dev/null new-session -d -s shots -x 110 -y 30 "env TERM=xterm-256color LANG=C.UTF-8 $bin --tail 'demo://?lines=20000'"
wait_for "20000 rec"
shot tail
t send-keys -t shots f
t send-keys -t shots -l "status >= 500"
t send-keys -t shots Enter
wait_for "match"
t send-keys -t shots /
t send-keys -t shots -l "timeout"
t send-keys -t shots Enter
wait_for "PAUSED"
shot filter-search
t send-keys -t shots Enter
wait_for " raw "
shot detail
t send-keys -t shots Escape
t send-keys -t shots '?'
wait_for "logdash — keys"
shot help
t kill-session -t shots
t -f /dev/null new-session -d -s shots -x 110 -y 30 "env TERM=xterm-256color LANG=C.UTF-8 $bin 'demo://?lines=20000'"
wait_for "20000 rec"
t send-keys -t shots q
t send-keys -t shots -l "SELECT path, count(*) n, round(avg(latency_ms), 1) avg_ms,"
t send-keys -t shots C-j
t send-keys -t shots -l "  approx_percentile(latency_ms, 0.99) p99, count_if(status >= 500) errors"
t send-keys -t shots C-j
t send-keys -t shots -l "FROM logs GROUP BY path ORDER BY n DESC"
t send-keys -t shots Enter
wait_for "rows in"
t send-keys -t shots Right Right Right s s
wait_for "sorted by p99"
shot query-pane
t kill-session -t shots
t -f /dev/null new-session -d -s shots -x 120 -y 40 "env TERM=xterm-256color LANG=C.UTF-8 $bin --alarms $out/alarms.yaml --lateness 1s 'demo://?lines=20000&rate=200'"
wait_for "┌ alarms"
sleep 25  # a few 10 s periods close
t send-keys -t shots Tab
sleep 1
shot alarm-panel
