#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The daemon's /metrics server against hostile clients. A sampled daemon
# (0.5 s windows every 1 s) watches a node process while slowloris.js holds
# 30 connections that send nothing and 30 that trickle a request head a
# byte every 0.5 s, opened again whenever the daemon closes them. Under that
# load a normal scrape must answer within 1 s with the expected metrics, the
# windows must stay 0.5 s long (the loop closing them is never held by a
# client), and SIGTERM must stop the daemon within 1 s, leaving no BPF
# program behind. Window lengths come from the daemon's -vv log lines
# ("window N opened at T", "... closed at T", CLOCK_MONOTONIC ns).
. "$(dirname "$0")/lib.sh"
require_bpf
command -v curl > /dev/null || skip_or_fail "curl not installed"

PORT=$((17000 + $$ % 1000))
URL="http://127.0.0.1:$PORT/metrics"
CONF="$TMP/daemon.conf"
mkdir -p "$TMP/state"
printf 'state_dir = %s\nmode = sampled\nsample_window = 500ms\nsample_period = 1s\nmetrics_pid_label = on\n' "$TMP/state" > "$CONF"

# CLOCK_MONOTONIC, as in the daemon's log
mono_ns() { node -e 'console.log(process.hrtime.bigint().toString())'; }
secs() { node -e "console.log((($2 - $1) / 1e9).toFixed(3))"; } # FROM_NS TO_NS
below() { node -e "process.exit($1 < $2 ? 0 : 1)"; }
quiet_lint() { [ -s "$1" ] && node "$E2E_DIR/daemon_check.js" lint "$1" > /dev/null; }
# scrape FILE: curl's total time in seconds on stdout; fails like curl
scrape() { curl -sf --max-time 5 -o "$1" -w '%{time_total}' "$URL"; }
# "N opened|closed NS" for every window the daemon's log tells of
windows() { sed -n 's/.*window \([0-9]*\) \(opened\|closed\) at \([0-9]*\):.*/\1 \2 \3/p' "$TMP/d.err"; }
# window_lengths FROM_NS TO_NS: "count max_s" of the windows open at some
# time in [FROM, TO); one not closed by TO counts as open until TO
window_lengths() {
	windows | awk -v from="$1" -v to="$2" '
		$2 == "opened" && $3 < to { open[$1] = $3 }
		$2 == "closed" { shut[$1] = $3 }
		END {
			n = 0; max = 0
			for (w in open) {
				end = (w in shut) ? shut[w] : to
				if (end < from)
					continue
				len = (end - open[w]) / 1e9
				n++
				if (len > max) max = len
			}
			printf "%d %.3f\n", n, max
		}'
}

check "no asyncscope BPF program loaded before the test" no_programs
"$(node_bin 22)" -e 'console.log(process.pid); setInterval(() => require("fs").stat(".", () => {}), 50)' > "$TMP/app.out" &
BG_PIDS="$BG_PIDS $!"
wait_for "$TMP/app.out" 20 || { fail "node workload did not start"; finish; }
APP=$(head -n 1 "$TMP/app.out")

"$ASYNCSCOPE" -vv daemon --config "$CONF" --listen "127.0.0.1:$PORT" --ready-file "$TMP/ready" 2> "$TMP/d.err" &
DPID=$!
BG_PIDS="$BG_PIDS $DPID"
wait_for "$TMP/ready" 30 || { fail "daemon did not start: $(tail -n 3 "$TMP/d.err")"; finish; }
check "daemon watches the node process $APP" eventually 20 grep -q "watching process $APP " "$TMP/d.err"
idle_s=$(scrape "$TMP/idle.prom") || fail "scrape without load failed"
say "scrape without load: ${idle_s} s"

# --- the load: 30 idle and 30 slowloris connections, held throughout ---
node "$E2E_DIR/slowloris.js" "$PORT" 30 30 60 > "$TMP/load.out" &
LOAD=$!
BG_PIDS="$BG_PIDS $LOAD"
wait_for "$TMP/load.out" 10 || fail "the load did not connect"
load_from=$(mono_ns)
sleep 2 # every idle connection has been held past any per-read deadline
worst=0
for i in 1 2 3; do
	took=$(scrape "$TMP/load.prom") || { fail "scrape $i under load failed (curl gave up after 5 s)"; worst=5; break; }
	say "scrape $i under 30 idle + 30 slowloris connections: ${took} s"
	below "$worst" "$took" && worst=$took
	sleep 0.3
done
check "scrapes under load answer within 1 s (slowest ${worst} s)" below "$worst" 1
check "scrape under load is well-formed /metrics" quiet_lint "$TMP/load.prom"
check "scrape under load has the node process's series" \
	grep -q "^asyncscope_observed_seconds_total{pid=\"$APP\"" "$TMP/load.prom" 2> /dev/null
grep -q '^asyncscope_daemon_mode{mode="sampled"} 1$' "$TMP/load.prom" 2> /dev/null
check "scrape under load: sampled mode" [ $? -eq 0 ]
sleep 2
load_to=$(mono_ns)
set -- $(window_lengths "$load_from" "$load_to")
say "windows during $(secs "$load_from" "$load_to") s of load: $1, the longest ${2} s (configured 0.5 s)"
check "at least 3 windows under load" [ "$1" -ge 3 ]
# COUNT LONGEST: none at all is no pass either (the windows were missed)
short_windows() { [ "$1" -gt 0 ] && below "$2" 0.9; }
check "windows stay about 0.5 s under load (longest ${2} s < 0.9 s)" short_windows "$1" "$2"
timed_out=$(awk '$1 == "asyncscope_daemon_http_connections_timed_out_total" { print $2 }' "$TMP/load.prom" 2> /dev/null)
say "connections the daemon closed at their deadline by then: ${timed_out:-none counted}"
check "the daemon closes the connections that never finish a request" [ "${timed_out:-0}" -gt 0 ]

# --- SIGTERM under the same load ---
t0=$(date +%s%N) # not node's clock: its start-up would count
kill -TERM "$DPID"
i=0
# a zombie has exited: its exit time is what counts, not the reaping; 5 s at most
while [ -e "/proc/$DPID" ] && [ "$(awk '{ print $3 }' "/proc/$DPID/stat" 2> /dev/null)" != Z ] && [ $i -lt 200 ]; do
	sleep 0.02
	i=$((i + 1))
done
t1=$(date +%s%N)
stopped=$(secs "$t0" "$t1")
say "SIGTERM to exit under load: ${stopped} s"
check "SIGTERM stops the daemon within 1 s under load (${stopped} s)" below "$stopped" 1
kill -9 "$DPID" 2> /dev/null
wait "$DPID" 2> /dev/null
rc=$?
check "daemon exited with status 0 on SIGTERM (got $rc)" [ "$rc" -eq 0 ]
kill -TERM "$LOAD"
wait "$LOAD"
say "load: $(tail -n 1 "$TMP/load.out" | cut -d' ' -f2) connections made in all"
assert_no_probes_left "the daemon stopped under load"
finish
