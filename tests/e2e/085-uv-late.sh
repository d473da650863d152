#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The libuv layer on callbacks found only at run time, under `trace --`:
# python3 with uvloop (its libuv code is dlopen'd at import) and neovim's
# luv timers (a library it links, not scanned before start). asyncscope
# stops the command at a callback's first registration until the callback
# is probed, so nothing is missed from the first callback on: exact counts
# and trigger edges (uv_late.js). Then what keeps a stop from outliving its
# purpose: the 1 s timeout, and asyncscope killed during a stop.
. "$(dirname "$0")/lib.sh"
require_bpf

/usr/bin/python3 -c 'import uvloop' 2>/dev/null ||
	skip_or_fail "python3-uvloop is not installed (make deps installs it)"
command -v nvim > /dev/null || skip_or_fail "neovim is not installed (make deps installs it)"

# late_run NAME KIND N TRUTH -- COMMAND...: traced from the start, checked by
# uv_late.js KIND N (TRUTH: the workload's own account, or -)
late_run() {
	name=$1 kind=$2 n=$3 truth=$4
	shift 5
	"$ASYNCSCOPE" trace -q --layers uv -o "$TMP/$name.jsonl" -- "$@" > "$TMP/$name.out" 2> "$TMP/$name.err"
	rc=$?
	check "$name: traced run exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "$name: nothing on stderr ($(head -c 300 "$TMP/$name.err"))" [ ! -s "$TMP/$name.err" ]
	if node "$E2E_DIR/uv_late.js" "$kind" "$n" "$TMP/$name.jsonl" "$truth" > "$TMP/$name.txt"; then
		ok "$name: $(cat "$TMP/$name.txt")"
	else
		fail "$name: $(cat "$TMP/$name.txt")"
	fi
}

# uvloop: 2N+1 uv_tcp, N uv_connect called back, every trigger edge; N=10
# is ~150 ms of work, N=200 a longer run
for n in 10 200; do
	late_run "uvloop-$n" uvloop "$n" - -- /usr/bin/python3 "$E2E_DIR/thirdparty/uvloop_seq.py" "$n"
	check "uvloop-$n: the workload finished" grep -qx "done $n" "$TMP/uvloop-$n.out"
done

# neovim: a luv timer every 1 ms, 10 ticks: every one seen (nvim itself is
# the command, so its own code is scanned before it starts, luv's is not;
# the script writes its account to $OUT)
export OUT="$TMP/nvim.truth"
late_run nvim nvim 10 "$OUT" -- nvim --headless -u NONE -c "luafile $E2E_DIR/thirdparty/nvim_timer.lua"
unset OUT
assert_no_probes_left "the late-callback runs"

# a stop asyncscope takes too long over (ASYNCSCOPE_HOLD_DELAY_MS, for
# tests) is ended by the guard after 1 s, and counted
OUT="$TMP/slow.truth" ASYNCSCOPE_HOLD_DELAY_MS=1500 "$ASYNCSCOPE" trace -q --layers uv -o "$TMP/slow.jsonl" -- \
	nvim --headless -u NONE -c "luafile $E2E_DIR/thirdparty/nvim_timer.lua" 2> "$TMP/slow.err"
rc=$?
check "slow hold: the command runs on and exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "slow hold: the command did its work" grep -q 'ticks 10$' "$TMP/slow.truth"
check "slow hold: counted as timed out in the summary" node -e '
  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
  const s = JSON.parse(l[l.length - 1]);
  process.exit(s.hold_timeouts >= 1 && s.held_max_ns === 1e9 ? 0 : 1);' "$TMP/slow.jsonl"
check "slow hold: one warning line says so" [ "$(grep -c 'outlasted 1000 ms' "$TMP/slow.err")" -eq 1 ]

# asyncscope killed (SIGKILL: no clean-up of its own) while the command is
# stopped: the guard resumes it, the kernel detaches the probes
OUT="$TMP/kill.truth" ASYNCSCOPE_HOLD_DELAY_MS=10000 "$ASYNCSCOPE" trace -q --layers uv -o "$TMP/kill.jsonl" -- \
	nvim --headless -u NONE -c "luafile $E2E_DIR/thirdparty/nvim_timer.lua" 2> /dev/null &
tr=$!
BG_PIDS="$tr"
target=""
i=0
while [ $i -lt 500 ]; do
	target=$(pgrep -P "$tr" -x nvim)
	[ -n "$target" ] && [ "$(awk '{ print $3 }' "/proc/$target/stat" 2> /dev/null)" = T ] && break
	i=$((i + 1))
	sleep 0.01
done
stopped=$([ -n "$target" ] && [ $i -lt 500 ] && echo yes)
check "killed mid-hold: the command was stopped for its probes" [ "$stopped" = yes ]
kill -9 "$tr"
wait "$tr" 2> /dev/null
BG_PIDS=""
i=0
while [ -n "$target" ] && [ -d "/proc/$target" ] && [ $i -lt 100 ]; do
	i=$((i + 1))
	sleep 0.05
done
finished=$([ -n "$target" ] && [ ! -d "/proc/$target" ] && echo yes)
check "killed mid-hold: the command was resumed and finished" [ "$finished" = yes ]
check "killed mid-hold: the command did its work" grep -q 'ticks 10$' "$TMP/kill.truth"
check "killed mid-hold: the guard is gone" [ -z "$(pgrep -x asyncscope-hold)" ]
assert_no_probes_left "asyncscope was killed"
finish
