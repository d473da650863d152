# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sourced by every end-to-end test. A test exits 0 (pass), 1 (fail) or
# 77 (skip). Needing root or BPF and not having it is a skip on a laptop
# and a failure under CI=true.
set -u
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$E2E_DIR/../.." && pwd)
ASYNCSCOPE="$TOP/asyncscope"
WORKLOADS="$E2E_DIR/workloads"
OUT_DIR="$E2E_DIR/out"
mkdir -p "$OUT_DIR"
TEST_NAME=$(basename "$0" .sh)
FAILURES=0

TMP=$(mktemp -d "/tmp/asyncscope-$TEST_NAME.XXXXXX")
chmod 755 "$TMP"
BG_PIDS=""
cleanup() {
	for p in $BG_PIDS; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

say() { printf '  %s\n' "$*"; }
fail() { printf '  FAIL: %s\n' "$*"; FAILURES=$((FAILURES + 1)); }
ok() { printf '  ok: %s\n' "$*"; }
check() { # check "what" command...
	what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
skip_or_fail() {
	if [ "${CI:-}" = true ]; then
		echo "  FAIL: $* (CI=true: a test that cannot run fails)"
		exit 1
	fi
	echo "  SKIP: $*"
	exit 77
}
finish() {
	[ "$FAILURES" -eq 0 ] && exit 0
	exit 1
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip_or_fail "needs root (run: sudo make test)"
}
require_bpf() {
	require_root
	[ -r /sys/kernel/btf/vmlinux ] || skip_or_fail "kernel has no BTF (/sys/kernel/btf/vmlinux)"
	[ -x "$ASYNCSCOPE" ] || skip_or_fail "asyncscope not built (run make)"
}

# wait_exec PID FILE: wait (up to 5 s) until PID runs FILE, so a process
# just started in the background is not attached while still the forked shell
wait_exec() {
	want=$(readlink -f "$2")
	i=0
	while [ "$(readlink "/proc/$1/exe" 2>/dev/null)" != "$want" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# node_bin MAJOR: path of the node binary for that major (fetched if needed)
node_bin() {
	"$TOP/tools/fetch-node.sh" "$1"
}
node_majors() {
	awk '!/^#/ && NF >= 3 { print $1 }' "$TOP/tests/node-versions"
}

# "ID NAME" of asyncscope's BPF programs (the tracer's and the daemon's)
# still loaded; empty when all detached.
loaded_programs() {
	bpftool prog show 2>/dev/null | awk '/^[0-9]+: / { sub(":", "", $1); print $1, $4 }' |
		grep -E ' (node_|uv_|js_watch|proc_exec|proc_exit|proc_fork)' || true
}
no_programs() { [ -z "$(loaded_programs)" ]; }
# "LINK NAME" of each link (uprobe, watchpoint, tracepoint) to one of them,
# not to whatever else the host runs
asyncscope_links() {
	progs=$(loaded_programs)
	bpftool link show 2>/dev/null | awk '/^[0-9]+: / { sub(":", "", $1)
		for (i = 2; i < NF; i++) if ($i == "prog") print $1, $(i + 1) }' |
		while read -r link prog; do
			echo "$progs" | awk -v id="$prog" -v link="$link" '$1 == id { print link, $2 }'
		done
}
# Links must be gone the moment asyncscope exits; the kernel frees a
# detached program itself after an RCU grace period, which a loaded machine
# stretches, so those get 10 s to disappear.
leftover_probes() {
	asyncscope_links | awk '{ print "link to " $2 }' | grep . && return
	eventually 10 no_programs
	loaded_programs | awk '{ print $2 }'
}

assert_no_probes_left() {
	left=$(leftover_probes)
	if [ -n "$left" ]; then
		fail "probes left attached after $1: $(echo "$left" | tr '\n' ' ')"
	else
		ok "no probes left after $1"
	fi
}

# expect_err "what" STATUS PATTERN command...: exit status, exactly one
# stderr line, matching PATTERN (stdout in $TMP/out, stderr in $TMP/err)
expect_err() {
	what=$1 want=$2 pattern=$3
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l < "$TMP/err")
	if [ "$rc" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -Eq -- "$pattern" "$TMP/err"; then
		ok "$what: exit $rc, \"$(cat "$TMP/err")\""
	else
		fail "$what: exit $rc (want $want), $lines stderr lines: $(head -c 300 "$TMP/err")"
	fi
}

# indented CMD ARGS...: runs CMD with its output indented under the test's
# lines, and returns CMD's status (a pipe into sed would return sed's).
indented() {
	_out=$(mktemp)
	"$@" >"$_out" 2>&1
	_rc=$?
	sed 's/^/    /' "$_out"
	rm -f "$_out"
	return $_rc
}

# wait_for FILE SECONDS: the handshake a workload makes when it is ready
wait_for() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ "$i" -gt $(($2 * 20)) ] && return 1
		sleep 0.05
	done
}

# jq-free JSON field access with node: json_get FILE EXPR (EXPR uses `d`)
json_eval() {
	node -e "const fs=require('fs');const d=JSON.parse(fs.readFileSync(process.argv[1],'utf8'));console.log($2)" "$1"
}

# daemon_start CONF PORT LOG: an asyncscope daemon in the background with
# that config, serving /metrics on 127.0.0.1:PORT, its stderr in LOG; waits
# (30 s at most) until it is ready. Sets DPID; cleanup ends it.
daemon_start() {
	"$ASYNCSCOPE" daemon --config "$1" --listen "127.0.0.1:$2" --ready-file "$TMP/ready.$2" \
		2> "$3" &
	DPID=$!
	BG_PIDS="$BG_PIDS $DPID"
	wait_for "$TMP/ready.$2" 30
}

# daemon_stop: SIGTERM to the daemon daemon_start started; then no BPF
# program of asyncscope may be left
daemon_stop() {
	kill -TERM "$DPID"
	wait "$DPID"
	check "no asyncscope BPF program left after the daemon stopped" eventually 10 no_programs
}

# wait_attached ERRFILE: until a tracer started in the background says on its
# stderr (ERRFILE) that its probes are in; 10 s at most. ERRFILE must not
# hold an earlier tracer's lines: a background command's 2> truncates it
# only once the child runs.
wait_attached() { eventually 10 grep -q attached "$1" 2>/dev/null; }

# clients_until PORT FILE: two requests on a new connection, again and again,
# until FILE exists. A live command attached in the background sees some of
# them however long its attach takes, where a client started after a fixed
# sleep could be done before the probes are in. Start it with &, touch FILE
# once the command is over, then wait for it.
clients_until() {
	while [ ! -e "$2" ]; do
		node "$WORKLOADS/client.js" "$1" 2 || return 1
		sleep 0.05
	done
}

# eventually SECONDS CMD...: runs CMD (a shell function will do) every 0.2 s
# until it succeeds, for at most SECONDS; its status is CMD's last. For a
# state reached after a signal or an exit, where a fixed sleep would be a
# guess: a bug still shows, as the timeout.
eventually() {
	_until=$(($(date +%s) + $1))
	shift
	while ! "$@"; do
		[ "$(date +%s)" -ge "$_until" ] && return 1
		sleep 0.2
	done
}

# watchpoints_case: "fire" or "dead", whether hardware write watchpoints
# fire on this host, by the tests' own C check (hw_watchpoints.c), not by
# asyncscope's: the tests that need them assert full recall where they fire
# and asyncscope's one-line refusal where they do not, and say which ran.
# ASYNCSCOPE_E2E_DEAD_WATCHPOINTS=1 plays a host where they never fire
# (asyncscope's self-check is pointed at a decoy), to run that branch here.
if [ "${ASYNCSCOPE_E2E_DEAD_WATCHPOINTS:-}" = 1 ]; then
	export ASYNCSCOPE_TEST_WATCHPOINTS=dead
fi
watchpoints_case() {
	if [ "${ASYNCSCOPE_E2E_DEAD_WATCHPOINTS:-}" = 1 ]; then
		echo dead
		return
	fi
	if [ ! -x "$TMP/hw_watchpoints" ]; then
		gcc -O1 -o "$TMP/hw_watchpoints" "$E2E_DIR/hw_watchpoints.c" >&2 || {
			echo "cannot-build"
			return
		}
	fi
	"$TMP/hw_watchpoints" 2>/dev/null
}

watchpoints_source() {
	if [ "${ASYNCSCOPE_E2E_DEAD_WATCHPOINTS:-}" = 1 ]; then
		echo "played: ASYNCSCOPE_E2E_DEAD_WATCHPOINTS=1"
	else
		echo "tests/e2e/hw_watchpoints.c"
	fi
}

# assert_exact_refused WHAT ERRFILE RC: --js exact refused as it must be
# where watchpoints do not fire: exit 4, one line on stderr naming the cause
assert_exact_refused() {
	check "$1: --js exact refused, exit 4 (got $3), one line: $(head -c 200 "$2")" \
		sh -c '[ "$1" -eq 4 ] && [ "$(wc -l < "$2")" -eq 1 ] &&
			grep -q "hardware watchpoints do not fire on this machine" "$2"' _ "$3" "$2"
}
