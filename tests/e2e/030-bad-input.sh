#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bad input gets one clear line on stderr and its own exit status, leaves no
# probes attached and never disturbs the target: unknown pid, a process that
# is not node, no privileges, a stripped binary, a command that is not node
# or does not exist, a target that exits mid-trace, SIGINT / SIGTERM /
# SIGKILL of the tracer, corrupt capture files (a truncated one reads up to
# its cut, with a warning), bad options.
. "$(dirname "$0")/lib.sh"
require_bpf
node=$(node_bin "$(node_majors | head -n 1)")

# unknown pid: above pid_max, so it can never exist
expect_err "unknown pid" 3 "no such process: 4194304" "$ASYNCSCOPE" trace -p 4194304
expect_err "malformed pid" 2 "invalid pid" "$ASYNCSCOPE" trace -p 12abc

# a process that is not node
sleep 30 &
sl=$!
BG_PIDS="$BG_PIDS $sl"
expect_err "not a node process" 4 "is neither a Node.js nor a libuv process" "$ASYNCSCOPE" trace -p "$sl"
expect_err "doctor on a non-node process" 4 "" sh -c "'$ASYNCSCOPE' doctor -p $sl >/dev/null; rc=\$?; echo doctor-exit-\$rc >&2; exit \$rc"
check "the non-node process was left alone" kill -0 "$sl"

# not a node command (following, any executable is a command: its tree may
# start node; issue 21), and no such command
expect_err "command is not node, --no-follow" 4 "is neither a Node.js binary nor linked with libuv" \
	"$ASYNCSCOPE" trace --no-follow -- /bin/true
"$ASYNCSCOPE" trace -q -o "$TMP/true.jsonl" -- /bin/true 2>"$TMP/true.err"
rc=$?
check "command is not node, followed: runs, exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "command is not node, followed: nothing on stderr (-q)" [ ! -s "$TMP/true.err" ]
check "command is not node, followed: processes_followed 0" grep -q '"processes_followed":0' "$TMP/true.jsonl"
expect_err "command not found" 3 "command not found" "$ASYNCSCOPE" trace -- no-such-command-xyz

# no privileges: an unprivileged user with a valid node target
hs="$TMP/hs.json"
"$node" "$WORKLOADS/server.js" "$hs" 600 &
srv=$!
BG_PIDS="$BG_PIDS $srv"
wait_for "$hs" 10 || fail "server did not start"
cp "$ASYNCSCOPE" "$TMP/asyncscope"
chmod 755 "$TMP/asyncscope"
expect_err "no privileges" 5 "need root or CAP_BPF\+CAP_PERFMON" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/asyncscope" trace -p "$srv"
expect_err "daemon without privileges" 5 "the daemon needs root" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TMP/asyncscope" daemon --listen 127.0.0.1:9

# a stripped node: the .symtab-only provider-name table is gone, so with no
# cached layout for its build-id its node layer is refused, naming what is
# missing (its uv layer still serves by default: 045-layer-fallback) ...
cp "$node" "$TMP/node-stripped"
strip --strip-all "$TMP/node-stripped"
export ASYNCSCOPE_CACHE_DIR="$TMP/cache"
expect_err "stripped node binary, --layers node" 4 \
	"unsupported node binary .*node layer: node::provider_names not found" \
	"$ASYNCSCOPE" trace --layers node -- "$TMP/node-stripped" -e 0
expect_err "doctor names what is missing" 4 "doctor-exit-4" sh -c \
	"'$ASYNCSCOPE' doctor --binary '$TMP/node-stripped' | grep -q 'NOT SUPPORTED: node::provider_names' && echo doctor-exit-4 >&2; exit 4"
# ... but once the unstripped build (same build-id) was resolved, the cached
# layout is verified against the stripped file's code and used
"$ASYNCSCOPE" doctor --binary "$node" >/dev/null
"$ASYNCSCOPE" trace -q -o "$TMP/stripped.jsonl" -- "$TMP/node-stripped" -e 'require("fs").stat("/", () => {})'
rc=$?
check "stripped copy traced from the build-id cache (exit $rc)" grep -q '"type":"FSREQCALLBACK"' "$TMP/stripped.jsonl"
unset ASYNCSCOPE_CACHE_DIR

# a target that exits mid-trace: the tracer notices, writes the summary, exits 0.
# The target does its last fs.stat and exits once told to (SIGUSR2), after
# the tracer said it is attached, however long attaching takes. It says it
# is ready once its handler is in (before that, SIGUSR2 would kill it).
"$node" -e 'const keep = setInterval(() => {}, 1000);
process.on("SIGUSR2", () => { clearInterval(keep); process.removeAllListeners("SIGUSR2");
  require("fs").stat("/", () => {}); });
require("fs").writeFileSync(process.argv[1], "ready")' "$TMP/exit.ready" &
short=$!
wait_for "$TMP/exit.ready" 10 || fail "exiting target did not start"
"$ASYNCSCOPE" trace -p "$short" -o "$TMP/exit.jsonl" 2>"$TMP/exit.err" &
tr=$!
wait_attached "$TMP/exit.err"
kill -USR2 "$short"
wait "$tr"
rc=$?
check "target exiting mid-trace: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "target exiting mid-trace: says so" grep -q "target $short exited" "$TMP/exit.err"
check "target exiting mid-trace: summary line" grep -q '"event":"summary"' "$TMP/exit.jsonl"
check "target exiting mid-trace: its last fs.stat was seen" grep -q '"type":"FSREQCALLBACK"' "$TMP/exit.jsonl"
assert_no_probes_left "the target exited"

# signals to the tracer: SIGINT and SIGTERM detach cleanly; SIGKILL leaves
# nothing attached either (links die with the process)
for sig in INT TERM KILL; do
	"$ASYNCSCOPE" trace -p "$srv" -o "$TMP/sig-$sig.jsonl" 2>"$TMP/sig-$sig.err" &
	tr=$!
	wait_attached "$TMP/sig-$sig.err"
	kill -"$sig" "$tr"
	wait "$tr"
	rc=$?
	if [ "$sig" = KILL ]; then
		check "SIGKILL: killed (status $rc)" [ "$rc" -eq 137 ]
	else
		check "SIG$sig: exit 0 (got $rc)" [ "$rc" -eq 0 ]
		check "SIG$sig: summary line written" grep -q '"event":"summary"' "$TMP/sig-$sig.jsonl"
	fi
	sleep 0.2
	assert_no_probes_left "SIG$sig"
	check "SIG$sig: target still running" kill -0 "$srv"
done
check "target still serves after all that" node "$WORKLOADS/client.js" "$(json_eval "$hs" d.port)" 2

# capture files
printf '{"ts":1,"pid":1,"tid":1,"event":"init","id":2,"layer":"node","type":"X","trigger":1,"exec":1}\n{"ts":2,"pid":1,"tid":1,"event":"before","id":2,"layer":"no\n' > "$TMP/truncated.jsonl"
# its last line cut (a killed writer): read up to it; a cut line before the end is corrupt
expect_err "truncated capture" 0 "truncated.jsonl has no summary: .*: line 2 cut short" "$ASYNCSCOPE" tree --input "$TMP/truncated.jsonl"
{ cat "$TMP/truncated.jsonl" && echo '{"event":"summary","events":1}'; } > "$TMP/cut-mid.jsonl"
expect_err "capture cut before its last line" 6 "cut-mid.jsonl:2: unterminated string" "$ASYNCSCOPE" tree --input "$TMP/cut-mid.jsonl"
head -c 4096 "$node" > "$TMP/binary.jsonl"
expect_err "binary garbage as capture" 6 "binary.jsonl:1: " "$ASYNCSCOPE" tree --input "$TMP/binary.jsonl"
printf '{"ts":1,"pid":1,"tid":1,"event":"init","id":2,"layer":"node","trigger":1}\n' > "$TMP/notype.jsonl"
expect_err "init without a type" 6 "notype.jsonl:1: init without \"type\"" "$ASYNCSCOPE" tree --input "$TMP/notype.jsonl"
printf '{"ts":1,"pid":1,"event":"before","id":2}\n' > "$TMP/notid.jsonl"
expect_err "missing tid" 6 "notid.jsonl:1: missing or non-integer \"tid\"" "$ASYNCSCOPE" tree --input "$TMP/notid.jsonl"
expect_err "missing capture file" 6 "cannot read $TMP/nope.jsonl" "$ASYNCSCOPE" tree --input "$TMP/nope.jsonl"

# usage errors
expect_err "unknown option" 2 "unknown option" "$ASYNCSCOPE" trace --frobnicate
expect_err "unknown command" 2 "unknown command 'frob'" "$ASYNCSCOPE" frob
expect_err "no target" 2 "no target" "$ASYNCSCOPE" trace
expect_err "bad duration" 2 "invalid duration" "$ASYNCSCOPE" trace -p 1 -d 10parsecs
expect_err "pid and command" 2 "either -p PID or -- COMMAND" "$ASYNCSCOPE" trace -p 1 -- node

kill -TERM "$srv"
finish
