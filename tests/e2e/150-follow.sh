#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# trace -- COMMAND follows the command's tree (issue 21): through sh -c and
# npm run, child_process.fork and cluster workers, each node process traced
# from its first JS line (per process, its native events equal its own
# in-process async_hooks recorder's: compare.js --pid), the run ending when
# the whole tree has; another node build said and counted, not followed;
# --no-follow as before; 200 quick children with no stop, no loss and no
# probe left, with what following costs per child.
. "$(dirname "$0")/lib.sh"
require_bpf

cat >"$TMP/app.js" <<'JS'
setTimeout(() => require('fs').readFile(__filename, () => {}), 5);
JS
# summary KEY FILE: a number of FILE's summary line
summary() {
	node -e 'const l = require("fs").readFileSync(process.argv[2], "utf8").trim().split("\n");
	  console.log(JSON.parse(l[l.length - 1])[process.argv[1]]);' "$1" "$2"
}
# pids FILE: the pids FILE's events come from, one line
pids() {
	node -e 'const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
	  console.log([...new Set(l.map(JSON.parse).filter((e) => e.pid).map((e) => e.pid))].join(" "));' "$1"
}

# sh -c: the shell is not node, the node it starts is followed; the exit
# status is the shell's
(cd "$TMP" && timeout 60 "$ASYNCSCOPE" trace -o "$TMP/sh.jsonl" -- sh -c 'node app.js; exit 3') \
	2>"$TMP/sh.err"
rc=$?
check "sh -c: exit status of the command (3, got $rc)" [ "$rc" -eq 3 ]
check "sh -c: the node child's events, one process ($(pids "$TMP/sh.jsonl"))" \
	[ "$(pids "$TMP/sh.jsonl" | wc -w)" -eq 1 ]
check "sh -c: processes_followed 1" [ "$(summary processes_followed "$TMP/sh.jsonl")" = 1 ]
check "sh -c: says it follows descendants" grep -q "and its descendants" "$TMP/sh.err"
assert_no_probes_left "sh -c"

# a child outliving the command: the run lasts until it exits too
cat >"$TMP/late.js" <<'JS'
require('fs').writeFileSync(process.argv[2], String(process.pid));
setTimeout(() => require('fs').stat('/', () => {}), Number(process.argv[3]));
JS
t0=$(date +%s%N)
(cd "$TMP" && timeout 60 "$ASYNCSCOPE" trace -q -o "$TMP/late.jsonl" -- sh -c 'node late.js late.pid 1500 &')
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "outliving child: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "outliving child: the run lasted until it exited (${ms} ms >= 1500)" [ "$ms" -ge 1500 ]
check "outliving child: its fs.stat seen" grep -q '"type":"FSREQCALLBACK"' "$TMP/late.jsonl"
# and Ctrl-C once the command is gone: asyncscope stops at once (the
# command's pid may be another process's now: nothing is signalled)
rm -f "$TMP/late.pid"
(cd "$TMP" && exec "$ASYNCSCOPE" trace -q -o "$TMP/late2.jsonl" -- sh -c 'node late.js late.pid 8000 &') &
tp=$!
BG_PIDS="$BG_PIDS $tp"
eventually 10 test -s "$TMP/late.pid"
late=$(cat "$TMP/late.pid")
BG_PIDS="$BG_PIDS $late"
sleep 0.5
t0=$(date +%s%N)
kill -INT "$tp"
wait "$tp"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "outliving child, SIGINT: asyncscope stops in ${ms} ms (< 2000), exit $rc" [ "$ms" -lt 2000 ]
check "outliving child, SIGINT: the child runs on" kill -0 "$late"
kill "$late"
assert_no_probes_left "outliving child"

# --no-follow: the command alone, as before (a shell is not node)
expect_err "--no-follow: sh refused as before" 4 "neither a Node.js binary" \
	timeout 60 "$ASYNCSCOPE" trace --no-follow -o "$TMP/nf.jsonl" -- sh -c 'node app.js'

# fork and cluster: every process against its own recorder
for mode in fork cluster; do
	rm -f "$TMP"/gt.*
	(cd "$TMP" && ASYNCSCOPE_GT="$TMP/gt" NODE_OPTIONS="-r $WORKLOADS/recorder.js" \
		timeout 60 "$ASYNCSCOPE" trace -q -o "$TMP/$mode.jsonl" -- node "$WORKLOADS/tree.js" "$mode")
	rc=$?
	check "$mode: exits 0 (got $rc)" [ "$rc" -eq 0 ]
	want=2
	[ "$mode" = cluster ] && want=3
	n=0
	for f in "$TMP"/gt.*.0.jsonl; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		pid=$(basename "$f" | cut -d. -f2)
		if indented node "$E2E_DIR/compare.js" "$TMP/$mode.jsonl" "$TMP/gt" --pid "$pid" \
			--json "$OUT_DIR/follow-$mode-$n.json"; then
			ok "$mode: process $pid's native events equal its recorder's"
		else
			fail "$mode: process $pid's native events differ from its recorder's"
		fi
	done
	check "$mode: $want processes recorded (got $n)" [ "$n" -eq "$want" ]
	check "$mode: processes_followed $want" [ "$(summary processes_followed "$TMP/$mode.jsonl")" = "$want" ]
	assert_no_probes_left "$mode"
done

# npm run start: npm (node itself) runs the script through sh
mkdir "$TMP/pkg"
cp "$TMP/app.js" "$TMP/pkg/"
echo '{"name":"follow","version":"1.0.0","private":true,"scripts":{"start":"node app.js"}}' \
	>"$TMP/pkg/package.json"
if command -v npm >/dev/null; then
	(cd "$TMP/pkg" && HOME="$TMP" NPM_CONFIG_UPDATE_NOTIFIER=false timeout 60 "$ASYNCSCOPE" trace -q -o "$TMP/npm.jsonl" -- npm run start \
		>/dev/null)
	rc=$?
	check "npm run start: exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "npm run start: npm and the app followed" [ "$(summary processes_followed "$TMP/npm.jsonl")" = 2 ]
	check "npm run start: the app's timer seen" grep -q '"type":"Timeout"\|"type":"FSREQCALLBACK"' "$TMP/npm.jsonl"
	assert_no_probes_left "npm run start"
else
	say "no npm on this machine: npm run start not checked"
fi

# another node build in the tree: one line, counted, not followed
other=$(node_bin 22)
[ "$(readlink -f "$other")" = "$(readlink -f "$(command -v node)")" ] && other=""
if [ -n "$other" ]; then
	(cd "$TMP" && timeout 60 "$ASYNCSCOPE" trace -q -o "$TMP/other.jsonl" -- sh -c "$other app.js; node app.js") \
		2>"$TMP/other.err"
	check "another build: one line says it" [ "$(grep -c "not followed: another node binary" "$TMP/other.err")" -eq 1 ]
	check "another build: processes_not_followed 1" [ "$(summary processes_not_followed "$TMP/other.jsonl")" = 1 ]
	check "another build: processes_followed 1" [ "$(summary processes_followed "$TMP/other.jsonl")" = 1 ]
	assert_no_probes_left "another build"
fi

# several -p: node processes of one binary followed; another build said
cat >"$TMP/srv.js" <<'JS'
require('fs').writeFileSync(process.argv[2], String(process.pid));
setInterval(() => require('fs').stat('/', () => {}), 50);
setTimeout(() => process.exit(0), 20000);
JS
p_pids=""
for n in 1 2 3; do
	bin=node
	[ "$n" = 3 ] && [ -n "$other" ] && bin=$other
	"$bin" "$TMP/srv.js" "$TMP/srv$n.pid" &
	BG_PIDS="$BG_PIDS $!"
	eventually 10 test -s "$TMP/srv$n.pid"
	p_pids="$p_pids $(cat "$TMP/srv$n.pid")"
done
set -- $p_pids
"$ASYNCSCOPE" trace -q -d 1s -o "$TMP/p.jsonl" -p "$1" -p "$2,$3" 2>"$TMP/p.err"
rc=$?
check "several -p: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "several -p: the two of one binary traced ($(pids "$TMP/p.jsonl"))" \
	[ "$(pids "$TMP/p.jsonl" | wc -w)" -eq 2 ]
check "several -p: processes_followed 2" [ "$(summary processes_followed "$TMP/p.jsonl")" = 2 ]
if [ -n "$other" ]; then
	check "several -p: another build said once" [ "$(grep -c "not followed" "$TMP/p.err")" -eq 1 ]
	check "several -p: processes_not_followed 1" [ "$(summary processes_not_followed "$TMP/p.jsonl")" = 1 ]
fi
kill $p_pids
assert_no_probes_left "several -p"

# 200 quick children, 8 at a time: every one followed, none stopped, nothing
# lost; the cost per child as CPU time (the tree's and asyncscope's: wall
# time on a shared machine says little) and wall time, once each
clock() { # clock OUT command...: "wall_ms cpu_ms" of command into OUT
	_o=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$_o.t" "$@"
	_rc=$?
	awk '{ printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000 }' "$_o.t" >"$_o"
	return $_rc
}
if [ -x /usr/bin/time ]; then
	clock "$TMP/plain.t" node "$WORKLOADS/tree.js" spawn 200
	clock "$TMP/traced.t" timeout 120 "$ASYNCSCOPE" trace -q -o "$TMP/many.jsonl" -- \
		node "$WORKLOADS/tree.js" spawn 200
	rc=$?
	read -r pw pc <"$TMP/plain.t"
	read -r tw tc <"$TMP/traced.t"
	say "200 children: untraced ${pw} ms wall, ${pc} ms CPU; traced ${tw} ms wall, ${tc} ms CPU:" \
		"$(((tc - pc) * 5)) us CPU, $(((tw - pw) * 5)) us wall per followed child"
else
	timeout 120 "$ASYNCSCOPE" trace -q -o "$TMP/many.jsonl" -- node "$WORKLOADS/tree.js" spawn 200
	rc=$?
fi
check "200 children: exits 0 in time (got $rc)" [ "$rc" -eq 0 ]
check "200 children: processes_followed 201" [ "$(summary processes_followed "$TMP/many.jsonl")" = 201 ]
check "200 children: no stop (holds 0)" [ "$(summary holds "$TMP/many.jsonl")" = 0 ]
check "200 children: nothing lost" [ "$(summary lost "$TMP/many.jsonl")" = 0 ]
check "200 children: each child's fs.stat seen (201 processes' events)" \
	[ "$(pids "$TMP/many.jsonl" | wc -w)" -eq 201 ]
assert_no_probes_left "200 children"
finish
