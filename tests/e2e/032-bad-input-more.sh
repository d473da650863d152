#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# More bad input (issue 20): options that used to fall back to a default
# without a word, a target that dies while the probes go in, a thread id
# given as -p, a started command that ignores the signal passed on to it.
# Each gets its exit status and one line on stderr (for a thread id, its
# documented note), and leaves no probes attached.
. "$(dirname "$0")/lib.sh"
require_bpf
node=$(node_bin "$(node_majors | head -n 1)")
fickle="$WORKLOADS/fickle.js"

# expect_one "what" STATUS PATTERN command...: expect_err, then no probes left
expect_one() {
	expect_err "$@"
	assert_no_probes_left "$1"
}

# start_fickle NAME [EXIT_AFTER_MS [deaf]]: a node target in the background,
# its pid in $fpid once it runs
start_fickle() {
	name=$1
	shift
	"$node" "$fickle" "$TMP/$name.pid" "$@" &
	BG_PIDS="$BG_PIDS $!"
	wait_for "$TMP/$name.pid" 10 || fail "$name did not start"
	fpid=$(cat "$TMP/$name.pid")
}

start_fickle a
a=$fpid
start_fickle b
b=$fpid

# options that used to mean something else silently; -d keeps a build
# without the checks from tracing for ever
# two -p (issue 21): both traced, repeated or as a comma list
"$ASYNCSCOPE" trace -q -d 1s -o "$TMP/two.jsonl" -p "$a" -p "$b"
rc=$?
check "two -p: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "two -p: both followed" grep -q '"processes_followed":2' "$TMP/two.jsonl"
"$ASYNCSCOPE" tree -q -d 1s -o "$TMP/two.tree" -p "$a,$b"
rc=$?
check "two -p (tree, comma list): exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "two -p (tree): both processes shown" [ "$(grep -c '^pid ' "$TMP/two.tree")" -eq 2 ]
assert_no_probes_left "two -p"
expect_one "-p with an empty list" 2 "invalid pid ','" "$ASYNCSCOPE" trace -d 2s -p ,
expect_one "ring buffer not a power of two" 2 "invalid --ringbuf-size '5000'.*power of two" \
	"$ASYNCSCOPE" trace -d 2s --ringbuf-size 5000 -p "$a"
expect_one "ring buffer 3M" 2 "invalid --ringbuf-size '3M'" \
	"$ASYNCSCOPE" trace -d 2s --ringbuf-size 3M -p "$a"
expect_one "empty --layers" 2 "--layers takes node, uv or node,uv \(not ''\)" \
	"$ASYNCSCOPE" trace -d 2s --layers "" -p "$a"
expect_one "--layers of commas" 2 "--layers takes node, uv or node,uv \(not ','\)" \
	"$ASYNCSCOPE" trace -d 2s --layers , -p "$a"
expect_one "--layers with an empty name" 2 "--layers takes .*\(not 'node,'\)" \
	"$ASYNCSCOPE" record -d 2s -o "$TMP/layers.asr" --layers node, -p "$a"
expect_one "empty --input" 2 "--input needs a file name" "$ASYNCSCOPE" tree --input ""
expect_one "duration with trailing garbage" 2 "invalid duration '5x'" \
	"$ASYNCSCOPE" trace -d 5x -p "$a"
expect_one "negative duration" 2 "invalid duration '-1'" "$ASYNCSCOPE" trace -d -1 -p "$a"
# nan was read as ~292 years: the timeout stops a build without the check
expect_one "duration nan" 2 "invalid duration 'nan'" \
	timeout -s INT 5 "$ASYNCSCOPE" trace -d nan -p "$a"
expect_one "duration in hex" 2 "invalid duration '0x2'" "$ASYNCSCOPE" trace -d 0x2 -p "$a"

# a target that exits while the probes go in: a normal trace, or one line and
# exit 3, never a line per probe site. The delays straddle the attach (tens
# to hundreds of ms here; longer with the uv layer's ~80 sites), jittered.
hits=0
for delay in 0 10 30 60 100 150 250 400; do
	for layers in node node,uv; do
		jitter=$(($(od -An -N1 -tu1 /dev/urandom) % 20))
		rm -f "$TMP/die.pid"
		start_fickle die $((delay + jitter))
		"$ASYNCSCOPE" trace -q --layers "$layers" -p "$fpid" -o "$TMP/die.jsonl" \
			2>"$TMP/die.err"
		rc=$?
		what="exits after ${delay}+${jitter} ms, --layers $layers"
		# traced: at most the one warning for uv callback probes refused
		# because the target exited while they went in
		if [ "$rc" -eq 0 ] && [ "$(wc -l <"$TMP/die.err")" -le 1 ] &&
			! grep -qv "warning: libuv: " "$TMP/die.err" &&
			grep -q '"event":"summary"' "$TMP/die.jsonl"; then
			ok "$what: traced to its exit $(head -c 200 "$TMP/die.err")"
		elif [ "$rc" -eq 3 ] && [ "$(wc -l <"$TMP/die.err")" -eq 1 ] && grep -Eq \
			"target $fpid exited during attach|no such process: $fpid" "$TMP/die.err"; then
			hits=$((hits + 1))
			ok "$what: exit 3, \"$(cat "$TMP/die.err")\""
		else
			fail "$what: exit $rc, $(wc -l <"$TMP/die.err") stderr lines: $(head -c 300 "$TMP/die.err")"
		fi
		assert_no_probes_left "$what"
	done
done
say "$hits of 16 targets were gone before the probes were in"

# a thread id, as top -H shows it: traced as its process, with one note
tid=$(ls "/proc/$a/task" | grep -vx "$a" | head -n 1)
"$ASYNCSCOPE" trace -q -d 1s -p "$tid" -o "$TMP/tid.jsonl" 2>"$TMP/tid.err"
rc=$?
check "thread id: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "thread id: only the note on stderr ($(head -c 300 "$TMP/tid.err"))" \
	[ "$(cat "$TMP/tid.err")" = "asyncscope: pid $tid is a thread of process $a; tracing $a" ]
check "thread id: the process's events" grep -q "\"pid\":$a,.*\"type\":\"FSREQCALLBACK\"" \
	"$TMP/tid.jsonl"
assert_no_probes_left "a thread id"

# a started command that ignores the signal passed on to it is killed after
# the grace period (5 s), or at a second signal: never left running, exit 1
for how in grace second; do
	rm -f "$TMP/deaf.pid"
	"$ASYNCSCOPE" trace -q -o "$TMP/deaf.jsonl" -- "$node" "$fickle" "$TMP/deaf.pid" -1 deaf \
		2>"$TMP/deaf.err" &
	tr=$!
	BG_PIDS="$BG_PIDS $tr"
	wait_for "$TMP/deaf.pid" 10 || fail "deaf command did not start"
	deaf=$(cat "$TMP/deaf.pid")
	BG_PIDS="$BG_PIDS $deaf"
	if [ "$how" = grace ]; then
		kill -TERM "$tr"
		want="had not exited 5 s after SIGTERM: killed it"
	else
		kill -INT "$tr"
		sleep 0.5
		kill -INT "$tr"
		want="had not exited at the second signal \(SIGINT\): killed it"
	fi
	wait "$tr"
	rc=$?
	check "command ignoring signals ($how): exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "command ignoring signals ($how): one line ($(head -c 300 "$TMP/deaf.err"))" \
		[ "$(wc -l <"$TMP/deaf.err")" -eq 1 ]
	check "command ignoring signals ($how): says it was killed" \
		grep -Eq "command $deaf $want" "$TMP/deaf.err"
	check "command ignoring signals ($how): not left running" eventually 2 \
		sh -c "! kill -0 $deaf 2>/dev/null"
	check "command ignoring signals ($how): summary written" \
		grep -q '"event":"summary"' "$TMP/deaf.jsonl"
	assert_no_probes_left "a command ignoring signals ($how)"
done

finish
