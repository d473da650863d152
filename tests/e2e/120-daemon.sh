#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# asyncscope daemon, scraped with curl. The daemon starts first; then node
# 20, 22 and 24 run a fixed workload (daemon_app.js) whose in-process
# async_hooks counts are the ground truth for the /metrics deltas, beside
# a Python asyncio echo server on uvloop (Debian's libuv.so.1) with a known
# shape. Their series must go when they exit; a restarted daemon must pick
# up a running process; SIGHUP applies a new config (and keeps the old one
# when the new one is broken); 200 short node processes in a row must leave
# no probe, link or map entry behind and the daemon's memory bounded; a
# stopped daemon leaves no BPF program behind. It runs the daemon in exact
# mode (every event, for the exact counts) with no exit linger (series go at
# exit); 125-daemon-sampled.sh covers the default sampled mode and lingering.
. "$(dirname "$0")/lib.sh"
require_bpf
command -v curl > /dev/null || skip_or_fail "curl not installed"
/usr/bin/python3 -c 'import uvloop' 2> /dev/null || skip_or_fail "python3-uvloop not installed"

PORT=$((19000 + $$ % 1000))
URL="http://127.0.0.1:$PORT/metrics"
CONF="$TMP/daemon.conf"
mkdir -p "$TMP/state"
printf 'state_dir = %s\nmode = exact\nexit_linger = 0\nmetrics_pid_label = on\n' "$TMP/state" > "$CONF"

DPID=""
start_daemon() { # log
	rm -f "$TMP/ready"
	"$ASYNCSCOPE" daemon --config "$CONF" --listen "127.0.0.1:$PORT" \
		--ready-file "$TMP/ready" 2> "$1" &
	DPID=$!
	BG_PIDS="$BG_PIDS $DPID"
	wait_for "$TMP/ready" 30
}
stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID"
}
scrape() { # file
	curl -sf --max-time 10 -o "$1" "$URL"
}
# until the daemon's log says it watches pid (timeout in seconds)
wait_watched() { # log pid seconds
	i=0
	until grep -q "watching process $2 " "$1" 2> /dev/null; do
		i=$((i + 1))
		[ "$i" -gt $(($3 * 20)) ] && return 1
		sleep 0.05
	done
}
line_of() { # file prefix
	sed -n "s/^$2 //p" "$1" | head -n 1
}
quiet() { "$@" > /dev/null; }
metric() { # file name: a sample without labels
	awk -v n="$2" '$1 == n { print $2 }' "$1"
}

check "no asyncscope BPF program loaded before the test" no_programs
start_daemon "$TMP/d1.err" || { fail "daemon did not start: $(cat "$TMP/d1.err")"; finish; }
check "ready file is 0600" [ "$(stat -c %a "$TMP/ready")" = 600 ]
grep -q "CapEff:	000000c000080004" "/proc/$DPID/status"
check "after start-up the daemon keeps only CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH" [ $? -eq 0 ]

# --- three node versions and a uvloop server, started after the daemon ---
majors=$(node_majors)
for m in $majors; do
	"$(node_bin "$m")" "$WORKLOADS/daemon_app.js" 40 10 < /dev/null > "$TMP/app.$m" &
	BG_PIDS="$BG_PIDS $!"
done
mkfifo "$TMP/in.uv"
/usr/bin/python3 "$E2E_DIR/thirdparty/uvloop_echo.py" 5 hold < "$TMP/in.uv" > "$TMP/app.uv" &
BG_PIDS="$BG_PIDS $!"
exec 9> "$TMP/in.uv"
for m in $majors uv; do
	wait_for "$TMP/app.$m" 20 || fail "$m workload did not start"
	pid=$(line_of "$TMP/app.$m" ready | cut -d' ' -f1)
	eval "pid_$m=$pid"
	check "daemon found the $m process $pid" wait_watched "$TMP/d1.err" "$pid" 20
done
scrape "$TMP/base.prom" || fail "scrape failed"
for m in $majors; do eval "kill -USR2 \$pid_$m"; done
echo go >&9
for m in $majors uv; do
	i=0
	until grep -q '^done' "$TMP/app.$m" || [ $i -gt 400 ]; do i=$((i + 1)); sleep 0.05; done
done
scrape "$TMP/final.prom" || fail "scrape failed"
if node "$E2E_DIR/daemon_check.js" lint "$TMP/final.prom" > "$TMP/lint.txt"; then
	ok "/metrics is well-formed Prometheus text: $(cat "$TMP/lint.txt")"
else
	fail "/metrics: $(cat "$TMP/lint.txt")"
fi
if node "$E2E_DIR/daemon_check.js" mono "$TMP/base.prom" "$TMP/final.prom" > "$TMP/mono.txt"; then
	ok "counters only go up between scrapes: $(cat "$TMP/mono.txt")"
else
	fail "counters: $(cat "$TMP/mono.txt")"
fi
for m in $majors; do
	eval "pid=\$pid_$m"
	kill -USR2 "$pid"
	i=0
	until grep -q '^counts' "$TMP/app.$m" || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
	line_of "$TMP/app.$m" counts > "$TMP/truth.$m.json"
	if node "$E2E_DIR/daemon_check.js" node "$TMP/base.prom" "$TMP/final.prom" "$pid" \
		"$TMP/truth.$m.json" > "$TMP/cmp.$m"; then
		ok "node $m: $(cat "$TMP/cmp.$m")"
	else
		fail "node $m: $(cat "$TMP/cmp.$m")"
	fi
	grep -q "pid=\"$pid\".*runtime=\"node\",version=\"v$m\." "$TMP/final.prom"
	check "node $m: labelled with runtime and version" [ $? -eq 0 ]
done
if node "$E2E_DIR/daemon_check.js" uv "$TMP/base.prom" "$TMP/final.prom" "$pid_uv" 5 > "$TMP/cmp.uv"; then
	ok "python3 + uvloop (libuv.so.1): $(cat "$TMP/cmp.uv")"
else
	fail "python3 + uvloop: $(cat "$TMP/cmp.uv")"
fi
uvver=$(pkg-config --modversion libuv)
grep -q "pid=\"$pid_uv\",.*runtime=\"libuv\",version=\"$uvver\"" "$TMP/final.prom"
check "python3 + uvloop: labelled libuv $uvver (read from uv_version() in the library)" [ $? -eq 0 ]
check "no async id in any label (labels stay bounded)" sh -c "! grep -qE '[{,](async_id|id|trigger)=' '$TMP/final.prom'"

# --- they exit: their series go ---
for m in $majors; do eval "kill \$pid_$m"; done
echo exit >&9
exec 9>&-
# scrape FILE, then daemon_check.js CHECK FILE ARGS, its report in FILE.txt
scrape_check() { # file check args...
	_f=$1 _c=$2
	shift 2
	scrape "$_f" && node "$E2E_DIR/daemon_check.js" "$_c" "$_f" "$@" > "$_f.txt" 2>&1
}
if eventually 10 scrape_check "$TMP/gone.prom" gone $(for m in $majors uv; do eval "echo \$pid_$m"; done); then
	ok "after exit: $(cat "$TMP/gone.prom.txt")"
else
	fail "after exit: $(cat "$TMP/gone.prom.txt")"
fi

# --- restart: a running process is picked up again ---
N22=$(node_bin 22)
"$N22" -e 'const fs = require("fs"); setInterval(() => fs.stat(".", () => {}), 50)' &
TICKER=$!
BG_PIDS="$BG_PIDS $TICKER"
wait_watched "$TMP/d1.err" "$TICKER" 20 || fail "ticker not watched"
stop_daemon
check "daemon stopped with status 0 on SIGTERM" [ $? -eq 0 ]
check "no asyncscope BPF program left after the daemon stopped" eventually 10 no_programs
start_daemon "$TMP/d2.err" || { fail "daemon did not restart: $(cat "$TMP/d2.err")"; finish; }
check "restarted daemon picked up the running node 22 process" wait_watched "$TMP/d2.err" "$TICKER" 20
if eventually 10 scrape_check "$TMP/restart.prom" has "$TICKER" FSREQCALLBACK; then
	ok "after restart: $(cat "$TMP/restart.prom.txt")"
else
	fail "after restart: $(cat "$TMP/restart.prom.txt")"
fi

# --- SIGHUP: a new config applies; a broken one is refused, the old kept ---
printf 'state_dir = %s\nmode = exact\nexit_linger = 0\nmetrics_pid_label = on\nexclude_exe = */node-22.*/bin/node\n' "$TMP/state" > "$CONF"
kill -HUP "$DPID"
reloads_are() { scrape "$TMP/hup1.prom" && [ "$(metric "$TMP/hup1.prom" asyncscope_daemon_config_reloads_total)" = "$1" ]; }
check "SIGHUP: reload counted" eventually 10 reloads_are 1
check "SIGHUP: excluded process has no series" eventually 10 scrape_check "$TMP/hup1.prom" gone "$TICKER"
printf 'state_dir = %s\nmode = exact\nexit_linger = 0\nmetrics_pid_label = on\nbogus_key = 1\n' "$TMP/state" > "$CONF"
kill -HUP "$DPID"
check "SIGHUP with a broken config: file:line error on stderr" eventually 10 grep -q "daemon.conf:5: " "$TMP/d2.err"
config_errors_are() { scrape "$TMP/hup2.prom" && [ "$(metric "$TMP/hup2.prom" asyncscope_daemon_config_errors_total)" = "$1" ]; }
check "broken config: still serving, error counted" eventually 10 config_errors_are 1
check "broken config: the previous one (exclusion) still applies" quiet node "$E2E_DIR/daemon_check.js" gone "$TMP/hup2.prom" "$TICKER"
printf 'state_dir = %s\nmode = exact\nexit_linger = 0\nmetrics_pid_label = on\ncapture_file_size = 64K\ncapture_budget = 320K\n' "$TMP/state" > "$CONF"
kill -HUP "$DPID"
check "SIGHUP: included again, counted again" eventually 10 scrape_check "$TMP/hup3.prom" has "$TICKER" FSREQCALLBACK

# --- include by cgroup (v2): only the process in the cgroup is counted ---
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$CG2" ] && mkdir "$CG2/asyncscope-test-$$" 2> /dev/null; then
	"$N22" -e 'setInterval(() => require("fs").stat(".", () => {}), 50)' &
	CGPID=$!
	BG_PIDS="$BG_PIDS $CGPID"
	echo "$CGPID" > "$CG2/asyncscope-test-$$/cgroup.procs"
	printf 'state_dir = %s\nmode = exact\nexit_linger = 0\nmetrics_pid_label = on\ncapture_file_size = 64K\ncapture_budget = 320K\ninclude_cgroup = /asyncscope-test-*\n' "$TMP/state" > "$CONF"
	kill -HUP "$DPID"
	check "include_cgroup: the process in the cgroup is counted" eventually 10 scrape_check "$TMP/cg.prom" has "$CGPID" FSREQCALLBACK
	check "include_cgroup: a process outside it is not" eventually 10 scrape_check "$TMP/cg.prom" gone "$TICKER"
	kill "$CGPID"
	wait "$CGPID" 2> /dev/null
	rmdir "$CG2/asyncscope-test-$$"
	printf 'state_dir = %s\nmode = exact\nexit_linger = 0\nmetrics_pid_label = on\ncapture_file_size = 64K\ncapture_budget = 320K\n' "$TMP/state" > "$CONF"
	kill -HUP "$DPID"
	sleep 1
elif [ "${CI:-}" = true ]; then
	fail "no writable cgroup v2 hierarchy: include_cgroup not tested"
else
	say "SKIP: no writable cgroup v2 hierarchy: include_cgroup not tested"
fi

# --- a process in a mount namespace of its own (a container's view) ---
mkdir -p "$TMP/ct"
cp "$N22" "$TMP/ct/node" # its own inode, as a container image's node would be
unshare -m --propagation private sh -c "mount --bind '$TMP/ct' /mnt && exec /mnt/node -e 'console.log(process.pid); setInterval(() => require(\"fs\").stat(\".\", () => {}), 50)'" > "$TMP/ct.out" &
BG_PIDS="$BG_PIDS $!"
wait_for "$TMP/ct.out" 20
CT=$(head -n 1 "$TMP/ct.out")
check "container-like process ($CT, /mnt/node exists only in its namespace) found" wait_watched "$TMP/d2.err" "$CT" 20
sleep 1
scrape "$TMP/ct.prom"
grep -q "pid=\"$CT\",service=\"[^\"]*\",exe=\"/mnt/node\",runtime=\"node\",version=\"v22\..*type=\"FSREQCALLBACK\"" "$TMP/ct.prom"
check "container-like process counted, labelled with its own path" [ $? -eq 0 ]
kill "$CT"

# --- a node upgrade replacing the binary under the same path ---
mkdir -p "$TMP/upg"
cp "$N22" "$TMP/upg/node"
"$TMP/upg/node" -e 'console.log(process.pid); setInterval(() => require("fs").stat(".", () => {}), 50)' > "$TMP/old.out" &
BG_PIDS="$BG_PIDS $!"
wait_for "$TMP/old.out" 20
OLD=$(head -n 1 "$TMP/old.out")
cp "$(node_bin 24)" "$TMP/upg/node.new" && mv "$TMP/upg/node.new" "$TMP/upg/node"
"$TMP/upg/node" -e 'console.log(process.pid); setInterval(() => require("fs").stat(".", () => {}), 50)' > "$TMP/new.out" &
BG_PIDS="$BG_PIDS $!"
wait_for "$TMP/new.out" 20
NEW=$(head -n 1 "$TMP/new.out")
wait_watched "$TMP/d2.err" "$OLD" 20 && wait_watched "$TMP/d2.err" "$NEW" 20
check "upgrade: both the old and the new binary's processes found" [ $? -eq 0 ]
sleep 1
scrape "$TMP/upg.prom"
grep -q "pid=\"$OLD\",.*version=\"v22\..*type=\"FSREQCALLBACK\"" "$TMP/upg.prom" &&
	grep -q "pid=\"$NEW\",.*version=\"v24\..*type=\"FSREQCALLBACK\"" "$TMP/upg.prom"
check "upgrade: old process counted as v22, new one as v24, same path" [ $? -eq 0 ]
kill "$OLD" "$NEW"

# --- per-event capture of one process, switched on and off at run time ---
"$N22" -e 'const fs = require("fs"); setInterval(() => { for (let i = 0; i < 20; i++) fs.stat(".", () => {}); }, 5)' &
BUSY=$!
BG_PIDS="$BG_PIDS $BUSY"
wait_watched "$TMP/d2.err" "$BUSY" 20 || fail "busy process not watched"
ctl() { "$ASYNCSCOPE" daemon --config "$CONF" --ctl "$*"; }
check "ctl: capture on" quiet ctl capture "$BUSY" on
# each file takes one compressed chunk (~150 KiB of 256 KiB raw): when the
# fourth starts, the three before it are over the 320 KiB budget (as long as
# a chunk compresses to more than 107 KiB) and the first is deleted; and no
# file alone exceeds the budget, so the newest is always kept
i=0
until [ -e "$TMP/state/capture-$BUSY-0003.asr" ] || [ $i -gt 600 ]; do i=$((i + 1)); sleep 0.1; done
check "capture rotated (a fourth file, capture-$BUSY-0003.asr, started)" \
	[ -e "$TMP/state/capture-$BUSY-0003.asr" ]
ctl status > "$TMP/status.txt"
check "ctl: status names the capture ($(cat "$TMP/status.txt"))" grep -q "capturing $BUSY into" "$TMP/status.txt"
check "ctl: capture off" quiet ctl capture "$BUSY" off
ctl capture 1 on 2> "$TMP/ctl.err"
check "ctl: a process that is not watched is refused ($(cat "$TMP/ctl.err"))" [ $? -eq 2 ]
nfiles=$(ls "$TMP/state"/capture-"$BUSY"-*.asr | wc -l)
total=$(cat "$TMP/state"/capture-*.asr | wc -c)
say "capture: $nfiles files, $total bytes in all"
check "capture files are 0600" sh -c "! stat -c %a '$TMP/state'/capture-*.asr | grep -v 600"
# capture off closes the last file and applies the budget to every file: how
# many are left depends on how big the last chunk was, the total does not
check "capture total within budget once the capture is off" [ "$total" -le $((320 * 1024)) ]
newest=$(ls "$TMP/state"/capture-"$BUSY"-*.asr | tail -n 1 | sed 's/.*-0*\([0-9][0-9]*\)\.asr$/\1/')
check "the capture's newest file is kept (number $newest, at least 3)" [ "${newest:-0}" -ge 3 ]
check "oldest files deleted (first file gone)" [ ! -e "$TMP/state/capture-$BUSY-0000.asr" ]
last=$(ls "$TMP/state"/capture-"$BUSY"-*.asr | tail -n 1)
"$ASYNCSCOPE" report "$last" > "$TMP/report.txt" 2>&1
check "report reads the last capture file" [ $? -eq 0 ]
check "capture holds the process's fs.stat requests" grep -q "FSREQCALLBACK" "$TMP/report.txt"
check "capture file says which process" grep -q "pid $BUSY " "$TMP/report.txt"
# captured again: the files go on after those already there
before=$(ls "$TMP/state"/capture-"$BUSY"-*.asr | tail -n 1)
check "ctl: the same process captured a second time" quiet ctl capture "$BUSY" on
sleep 0.5
check "ctl: second capture off" quiet ctl capture "$BUSY" off
after=$(ls "$TMP/state"/capture-"$BUSY"-*.asr | tail -n 1)
check "second capture wrote a new file ($after after $before)" [ "$after" != "$before" ]
kill "$BUSY"

# --- churn: 200 short node processes in a row ---
links() { asyncscope_links | wc -l; }
# bpftool and the scrape agree; a link past its linger may go between the two
links_accounted() {
	scrape "$TMP/churn2.prom" && [ "$(links)" -eq "$(metric "$TMP/churn2.prom" asyncscope_daemon_links)" ]
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$DPID/status"; }
scrape "$TMP/churn0.prom"
links_before=$(links)
rss_before=$(rss_kb)
execs_before=$(metric "$TMP/churn0.prom" asyncscope_daemon_execs_seen_total)
start=$(date +%s)
i=0
while [ $i -lt 200 ]; do
	"$N22" -e 'console.log(process.pid); require("fs").stat(".", () => {})' >> "$TMP/churn.pids"
	i=$((i + 1))
done
took=$(($(date +%s) - start))
sleep 1
scrape "$TMP/churn1.prom"
links_after=$(links)
rss_after=$(rss_kb)
execs_after=$(metric "$TMP/churn1.prom" asyncscope_daemon_execs_seen_total)
say "churn: 200 node processes in ${took}s; links $links_before -> $links_after; daemon RSS ${rss_before} -> ${rss_after} KiB; execs seen +$((execs_after - execs_before))"
check "churn: the daemon saw all 200 execs" [ $((execs_after - execs_before)) -ge 200 ]
check "churn: no link leaked (links never grew)" [ "$links_after" -le "$links_before" ]
check "churn: every link is one the daemon accounts for" eventually 10 links_accounted
check "churn: daemon memory bounded (grew < 4 MiB)" [ $((rss_after - rss_before)) -lt 4096 ]
check "churn: no series of an exited process" quiet node "$E2E_DIR/daemon_check.js" gone "$TMP/churn1.prom" $(cat "$TMP/churn.pids")
if node "$E2E_DIR/daemon_maps.js" > "$TMP/maps.txt"; then
	ok "churn: $(cat "$TMP/maps.txt")"
else
	fail "churn: $(cat "$TMP/maps.txt")"
fi
check "no event lost" [ "$(metric "$TMP/churn1.prom" asyncscope_daemon_events_lost_total)" = 0 ]

stop_daemon
# --- started with only the capabilities the systemd unit grants ---
rm -f "$TMP/ready"
setpriv --bounding-set=-all,+bpf,+perfmon,+sys_ptrace,+dac_read_search \
	"$ASYNCSCOPE" daemon --config "$CONF" --listen "127.0.0.1:$PORT" --ready-file "$TMP/ready" 2> "$TMP/d3.err" &
DPID=$!
BG_PIDS="$BG_PIDS $DPID"
if wait_for "$TMP/ready" 30; then
	"$(node_bin 24)" -e 'console.log(process.pid); setInterval(() => require("fs").stat(".", () => {}), 50)' > "$TMP/cap.out" &
	BG_PIDS="$BG_PIDS $!"
	wait_for "$TMP/cap.out" 20
	CAPPID=$(head -n 1 "$TMP/cap.out")
	wait_watched "$TMP/d3.err" "$CAPPID" 20
	sleep 1
	scrape "$TMP/caps.prom"
	check "with only CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH: a new node process is counted" \
		quiet node "$E2E_DIR/daemon_check.js" has "$TMP/caps.prom" "$CAPPID" FSREQCALLBACK
	kill "$CAPPID"
	stop_daemon
else
	fail "daemon with the unit's capabilities did not start: $(cat "$TMP/d3.err")"
fi

check "no asyncscope BPF program left at the end" eventually 10 no_programs

# --- bad input ---
ln -s "$TMP/state" "$TMP/statelink"
printf 'state_dir = %s\nmetrics_pid_label = on\n' "$TMP/statelink" > "$TMP/link.conf"
"$ASYNCSCOPE" daemon --config "$TMP/link.conf" --listen "127.0.0.1:$PORT" 2> "$TMP/link.err"
rc=$?
check "state_dir that is a symlink refused, exit $rc ($(cat "$TMP/link.err"))" sh -c "[ $rc -ne 0 ] && grep -q 'symbolic link' '$TMP/link.err'"
printf 'listen = nowhere\n' > "$TMP/bad.conf"
"$ASYNCSCOPE" daemon --config "$TMP/bad.conf" 2> "$TMP/bad.err"
rc=$?
check "invalid config: exit 2 with file:line ($(cat "$TMP/bad.err"))" sh -c "[ $rc -eq 2 ] && grep -q 'bad.conf:1:' '$TMP/bad.err'"
finish
