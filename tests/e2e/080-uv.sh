#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The libuv layer on plain libuv programs (no node): seven C programs with
# known shapes, built against libuv1-dev and run under `asyncscope trace --
# PROG` (and two of them attached to with -p), each checked exactly by
# uv_shape.js; then two real third-party programs that link Debian's
# libuv.so.1: a Python asyncio echo server on uvloop (attached with -p) and
# ctest running a three-test project. Also the perf-event uprobe fallback.
. "$(dirname "$0")/lib.sh"
require_bpf

progs="timers fschain work echo spawn async kinds"
for p in $progs; do
	gcc -O2 -Wall -o "$TMP/$p" "$E2E_DIR/uvprogs/$p.c" -luv -lpthread ||
		{ fail "cannot build $p (libuv1-dev installed?)"; continue; }
	"$ASYNCSCOPE" trace -q -o "$TMP/$p.jsonl" -- "$TMP/$p" < /dev/null > /dev/null
	rc=$?
	check "$p: traced run exits 0 (got $rc)" [ "$rc" -eq 0 ]
	# started by asyncscope, every callback of the program is found in its code
	# and probed before it first runs: none late, none unprobed (libuv's own
	# helpers, e.g. fs_poll's internal timer, may be probed at registration)
	check "$p: every callback probed before its first run" node -e '
	  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	  const s = l.pop();
	  process.exit(s.uv_callbacks_unprobed === 0 && s.uv_late_unseen === 0 &&
	    !l.some((e) => e.late_probe && !e.internal) ? 0 : 1);' "$TMP/$p.jsonl"
	if node "$E2E_DIR/uv_shape.js" "$p" "$TMP/$p.jsonl" > "$TMP/$p.txt"; then
		ok "$(cat "$TMP/$p.txt")"
	else
		fail "$(cat "$TMP/$p.txt")"
	fi
done

# a process asyncscope did not start is never stopped (SIGSTOP) for its probes
never_held() { # capture.jsonl
	node -e '
	  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
	  process.exit(JSON.parse(l[l.length - 1]).holds === 0 ? 0 : 1);' "$1"
}

# attach to a running program (-p): it waits on stdin until the tracer is in
run_attached() { # out program args...
	out=$1
	shift
	# the tracer's stderr too (see wait_attached)
	rm -f "$TMP/in.fifo" "$TMP/prog.out" "$TMP/attach.err"
	mkfifo "$TMP/in.fifo"
	"$@" < "$TMP/in.fifo" > "$TMP/prog.out" &
	pid=$!
	exec 9> "$TMP/in.fifo"
	wait_for "$TMP/prog.out" 10
	"$ASYNCSCOPE" trace -o "$out" -p "$pid" 2> "$TMP/attach.err" &
	tr=$!
	wait_attached "$TMP/attach.err"
	echo go >&9
	exec 9>&-
	wait "$pid"
	wait "$tr"
}
for p in echo fschain; do
	run_attached "$TMP/$p-p.jsonl" "$TMP/$p"
	if node "$E2E_DIR/uv_shape.js" "$p" "$TMP/$p-p.jsonl" > "$TMP/$p-p.txt"; then
		ok "attached with -p: $(cat "$TMP/$p-p.txt")"
	else
		fail "attached with -p: $(cat "$TMP/$p-p.txt") (tracer: $(cat "$TMP/attach.err"))"
	fi
	check "$p with -p: never stopped for its probes" never_held "$TMP/$p-p.jsonl"
done
# kernels before 6.6 have no uprobe_multi links: the perf-event fallback
# must see the same thing (and detach as cleanly)
ASYNCSCOPE_UPROBE_MULTI=0 "$ASYNCSCOPE" trace -q -o "$TMP/echo-perf.jsonl" -- "$TMP/echo" < /dev/null > /dev/null
if node "$E2E_DIR/uv_shape.js" echo "$TMP/echo-perf.jsonl" > "$TMP/echo-perf.txt"; then
	ok "perf-event uprobes: $(cat "$TMP/echo-perf.txt")"
else
	fail "perf-event uprobes: $(cat "$TMP/echo-perf.txt")"
fi
assert_no_probes_left "the C programs"

# third party 1: Python asyncio on uvloop (python3-uvloop links libuv.so.1)
if /usr/bin/python3 -c 'import uvloop' 2>/dev/null; then
	run_attached "$TMP/uvloop.jsonl" /usr/bin/python3 "$E2E_DIR/thirdparty/uvloop_echo.py" 5
	if node "$E2E_DIR/uv_thirdparty.js" uvloop 5 "$TMP/uvloop.jsonl" > "$TMP/uvloop.txt"; then
		ok "python3 + uvloop: $(cat "$TMP/uvloop.txt")"
	else
		fail "python3 + uvloop: $(cat "$TMP/uvloop.txt") (tracer: $(cat "$TMP/attach.err"))"
	fi
	check "python3 + uvloop with -p: never stopped for its probes" never_held "$TMP/uvloop.jsonl"
else
	skip_or_fail "python3-uvloop is not installed (make deps installs it)"
fi

# third party 2: ctest (cmake's test driver links libuv.so.1)
mkdir -p "$TMP/ctest/build"
cat > "$TMP/ctest/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.10)
project(asyncscope_ctest NONE)
enable_testing()
add_test(NAME t1 COMMAND /bin/true)
add_test(NAME t2 COMMAND /bin/sh -c "echo hello")
add_test(NAME t3 COMMAND /bin/sleep 0.1)
CMAKE
(cd "$TMP/ctest/build" && cmake .. > /dev/null) || fail "cmake configure failed"
(cd "$TMP/ctest/build" && "$ASYNCSCOPE" trace -q -o "$TMP/ctest.jsonl" -- "$(command -v ctest)" > /dev/null)
check "ctest exits 0 under asyncscope" [ $? -eq 0 ]
if node "$E2E_DIR/uv_thirdparty.js" ctest 3 "$TMP/ctest.jsonl" > "$TMP/ctest.txt"; then
	ok "ctest: $(cat "$TMP/ctest.txt")"
else
	fail "ctest: $(cat "$TMP/ctest.txt")"
fi
assert_no_probes_left "the third-party programs"
finish
