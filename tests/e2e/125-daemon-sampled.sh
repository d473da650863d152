#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The daemon's default sampled mode against its exact mode, both watching
# the same processes at once: node 20, 22 and 24 run a steady workload
# (steady.js: fs.stat, a TCP ping-pong on one long-lived socket, HTTP over
# keep-alive connections, at fixed rates), beside a Python asyncio ping-pong
# on uvloop (the libuv layer, uvloop_steady.py); over the same stretch of time
# the sampled daemon (0.25 s every 1 s, so the test stays short) estimates
# each (type, event) rate as events / observed seconds, and the estimate
# must be within 10% of the exact daemon's rate. Then 20 short node
# processes start and finish between two scrapes: the exact daemon shows
# each one, marked exited, with its final counts, until exit_linger is
# over; the sampled one shows those it saw in a window, and counts all
# 20 exits per executable.
. "$(dirname "$0")/lib.sh"
require_bpf
command -v curl > /dev/null || skip_or_fail "curl not installed"
/usr/bin/python3 -c 'import uvloop' 2> /dev/null || skip_or_fail "python3-uvloop not installed"

BASEPORT=$((18000 + $$ % 1000))
LINGER=4
CHECK="$E2E_DIR/daemon_check.js"
quiet() { "$@" > /dev/null; }
# told WHAT CMD...: ok or fail, with what CMD printed
told() {
	what=$1
	shift
	if "$@" > "$TMP/told.txt"; then ok "$what: $(cat "$TMP/told.txt")"; else fail "$what: $(cat "$TMP/told.txt")"; fi
}

# start_daemon NAME MODE: its config, state dir and port; pid in D_<NAME>
start_daemon() {
	mkdir -p "$TMP/$1.state"
	printf 'state_dir = %s\nmode = %s\nsample_window = 250ms\nsample_period = 1s\nexit_linger = %ss\nmetrics_pid_label = on\n' \
		"$TMP/$1.state" "$2" "$LINGER" > "$TMP/$1.conf"
	port=$((BASEPORT + $(printf '%s' "$1" | wc -c)))
	"$ASYNCSCOPE" daemon --config "$TMP/$1.conf" --listen "127.0.0.1:$port" \
		--ready-file "$TMP/$1.ready" 2> "$TMP/$1.err" &
	eval "D_$1=$! P_$1=$port"
	BG_PIDS="$BG_PIDS $!"
	wait_for "$TMP/$1.ready" 30
}
scrape() { # NAME FILE
	eval "curl -sf --max-time 10 -o \"\$2\" http://127.0.0.1:\$P_$1/metrics"
}
watched() { # NAME PID: the daemon's log says it watches PID (10 s at most)
	i=0
	until grep -q "watching process $2 " "$TMP/$1.err" 2> /dev/null; do
		i=$((i + 1))
		[ "$i" -gt 200 ] && return 1
		sleep 0.05
	done
}

check "no asyncscope BPF program loaded before the test" no_programs
start_daemon exact exact || { fail "exact daemon did not start: $(cat "$TMP/exact.err")"; finish; }
start_daemon sampled sampled || { fail "sampled daemon did not start: $(cat "$TMP/sampled.err")"; finish; }
grep -q "sampled mode: probes in for 0.25 s every 1 s" "$TMP/sampled.err"
check "sampled daemon says its schedule" [ $? -eq 0 ]

# --- steady workload under both daemons ---
pids=""
for m in $(node_majors); do
	"$(node_bin "$m")" "$WORKLOADS/steady.js" < /dev/null > "$TMP/steady.$m" &
	BG_PIDS="$BG_PIDS $!"
done
/usr/bin/python3 "$E2E_DIR/thirdparty/uvloop_steady.py" < /dev/null > "$TMP/steady.uv" &
BG_PIDS="$BG_PIDS $!"
for m in $(node_majors) uv; do
	wait_for "$TMP/steady.$m" 20 || fail "$m workload did not start"
	pid=$(sed -n 's/^ready //p' "$TMP/steady.$m")
	watched exact "$pid" && watched sampled "$pid"
	check "$([ "$m" = uv ] && echo "python3 + uvloop" || echo "node $m") ($pid) watched by both daemons" [ $? -eq 0 ]
	pids="$pids $pid"
done
sleep 1
scrape exact "$TMP/e0.prom" && scrape sampled "$TMP/s0.prom" || fail "scrape failed"
sleep 8
scrape exact "$TMP/e1.prom" && scrape sampled "$TMP/s1.prom" || fail "scrape failed"
for f in e1 s1; do
	check "$f: /metrics well-formed" quiet node "$CHECK" lint "$TMP/$f.prom"
done
if node "$CHECK" rates "$TMP/e0.prom" "$TMP/e1.prom" "$TMP/s0.prom" "$TMP/s1.prom" 200 $pids > "$TMP/rates.txt"; then
	ok "sampled estimates within 10% of exact rates: $(tail -n 1 "$TMP/rates.txt")"
	sed -n '1,$p' "$TMP/rates.txt" | sed '$d' | sed 's/^/    /'
else
	fail "sampled estimates: $(cat "$TMP/rates.txt")"
fi
if node "$CHECK" sampled "$TMP/s1.prom" $pids > "$TMP/inv.txt"; then
	ok "sampled mode: $(cat "$TMP/inv.txt")"
else
	fail "sampled mode: $(cat "$TMP/inv.txt")"
fi
metric() { awk -v n="$2" '$1 == n { print $2 }' "$1"; }
windows=$(metric "$TMP/s1.prom" asyncscope_daemon_sample_windows_total)
attach=$(metric "$TMP/s1.prom" asyncscope_daemon_probe_attach_seconds_total)
detach=$(metric "$TMP/s1.prom" asyncscope_daemon_probe_detach_seconds_total)
cpu0=$(metric "$TMP/s0.prom" asyncscope_daemon_cpu_seconds_total)
cpu1=$(metric "$TMP/s1.prom" asyncscope_daemon_cpu_seconds_total)
w0=$(metric "$TMP/s0.prom" asyncscope_daemon_sample_windows_total)
say "sampled daemon: $windows windows over $(metric "$TMP/s1.prom" asyncscope_daemon_files_probed) files; per window $(node -e "console.log(($attach * 1000 / $windows).toFixed(1))") ms attaching, $(node -e "console.log(($detach * 1000 / $windows).toFixed(1))") ms detaching (background), $(node -e "console.log((($cpu1 - $cpu0) * 1000 / ($windows - $w0)).toFixed(1))") ms of daemon CPU (all of it, scrapes included)"
check "sampled daemon: no link refused at a window's start" \
	[ "$(awk '$1 == "asyncscope_daemon_probe_reattach_failures_total" { print $2 }' "$TMP/s1.prom")" = 0 ]
for f in e1 s1; do
	check "$f: no event lost" [ "$(awk '$1 == "asyncscope_daemon_events_lost_total" { print $2 }' "$TMP/$f.prom")" = 0 ]
done

# --- a capture in sampled mode: every event, its file kept open ---
CAP=$(echo $pids | cut -d' ' -f1)
ctl() { "$ASYNCSCOPE" daemon --config "$TMP/sampled.conf" --ctl "$*"; }
observed() { # FILE: scrape the sampled daemon; the seconds it observed CAP for
	scrape sampled "$1" && awk -v p="pid=\"$CAP\"" '$1 ~ /^asyncscope_observed_seconds_total\{/ && index($1, p) { print $2 }' "$1"
}
o0=$(observed "$TMP/sc0.prom")
scrape exact "$TMP/ec0.prom"
t0=$(date +%s.%N)
check "sampled: capture on" quiet ctl capture "$CAP" on
sleep 2
check "sampled: capture off" quiet ctl capture "$CAP" off
t1=$(date +%s.%N)
scrape exact "$TMP/ec1.prom"
o1=$(observed "$TMP/sc1.prom")
exact_fs=$(node "$CHECK" delta "$TMP/ec0.prom" "$TMP/ec1.prom" "$CAP" FSREQCALLBACK init)
capfile=$(ls "$TMP/sampled.state"/capture-"$CAP"-*.asr | tail -n 1)
# "COUNT RATE": the capture's FSREQCALLBACK inits, and their rate between the
# first and the last of them
captured=$("$ASYNCSCOPE" report -q "$capfile" --view events --format jsonl | node -e '
const ts = require("fs").readFileSync(0, "utf8").trim().split("\n").map((l) => JSON.parse(l))
  .filter((e) => e.event === "init" && e.type === "FSREQCALLBACK").map((e) => e.ts);
const span = (ts[ts.length - 1] - ts[0]) / 1e9;
console.log(ts.length, ts.length > 1 ? ((ts.length - 1) / span).toFixed(1) : 0)')
stats=${captured% *} cap_rate=${captured#* }
# the exact daemon's counters, read just outside the capture: a rate over
# the time between the two reads, less the scrapes (so at most the true one)
exact_rate=$(node -e "console.log(($exact_fs / ($t1 - $t0)).toFixed(1))")
say "capture of $CAP for 2 s: $stats FSREQCALLBACK inits at $cap_rate/s; the exact daemon counted $exact_fs around it, $exact_rate/s; observed $(node -e "console.log(($o1 - $o0).toFixed(2))") s over it"
# a capture that held only the sampling windows' events would run at about a
# quarter of the exact rate; one that holds every event, at the same rate
check "sampled: the capture holds every event while it is on (rate >= 90% of the exact one)" \
	node -e "process.exit($exact_fs > 0 && $cap_rate >= 0.9 * $exact_rate ? 0 : 1)"
check "sampled: observed time runs in full while captured (> 1.8 s of the 2 s)" \
	node -e "process.exit($o1 - $o0 > 1.8 ? 0 : 1)"

# --- 20 short processes between two scrapes ---
N22=$(node_bin 22)
scrape exact "$TMP/e2.prom" && scrape sampled "$TMP/s2.prom"
i=0
: > "$TMP/short.pids"
while [ $i -lt 20 ]; do
	"$N22" "$WORKLOADS/short.js" 10 >> "$TMP/short.pids"
	i=$((i + 1))
done
sleep 0.5
scrape exact "$TMP/e3.prom" && scrape sampled "$TMP/s3.prom"
short=$(cat "$TMP/short.pids")
if node "$CHECK" exited "$TMP/e3.prom" 10 $short > "$TMP/ex.txt"; then
	ok "exact: $(cat "$TMP/ex.txt")"
else
	fail "exact, exited processes: $(cat "$TMP/ex.txt")"
fi
told "exact" node "$CHECK" exits "$TMP/e2.prom" "$TMP/e3.prom" "$N22" 20
if node "$CHECK" partial "$TMP/s3.prom" 10 $short > "$TMP/sx.txt"; then
	ok "sampled: $(cat "$TMP/sx.txt")"
else
	fail "sampled, exited processes: $(cat "$TMP/sx.txt")"
fi
told "sampled, seen in a window or not" node "$CHECK" exits "$TMP/s2.prom" "$TMP/s3.prom" "$N22" 20
sleep $((LINGER + 1))
scrape exact "$TMP/e4.prom" && scrape sampled "$TMP/s4.prom"
check "exact: after exit_linger, no series of them left" quiet node "$CHECK" gone "$TMP/e4.prom" $short
check "sampled: after exit_linger, no series of them left" quiet node "$CHECK" gone "$TMP/s4.prom" $short
told "after the linger, still" node "$CHECK" exits "$TMP/e2.prom" "$TMP/e4.prom" "$N22" 20

# --- bad input ---
printf 'mode = sampled\nsample_window = 2s\nsample_period = 1s\n' > "$TMP/bad.conf"
"$ASYNCSCOPE" daemon --config "$TMP/bad.conf" --print-config > /dev/null 2> "$TMP/bad.err"
rc=$?
check "window longer than period: exit 2 with file:line ($(cat "$TMP/bad.err"))" sh -c "[ $rc -eq 2 ] && grep -q 'bad.conf:3:' '$TMP/bad.err'"
printf 'state_dir = %s\nmode = exact\nmetrics_pid_label = on\n' "$TMP/sampled.state" > "$TMP/sampled.conf"
kill -HUP "$D_sampled"
sleep 0.5
check "SIGHUP cannot switch sampled to exact (refused, said why)" grep -q "mode cannot change while the daemon runs" "$TMP/sampled.err"

for d in $D_exact $D_sampled; do kill -TERM "$d"; wait "$d"; done
check "no asyncscope BPF program left at the end" eventually 10 no_programs
finish
