#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# doctor on every node version: what was resolved (static, no root), and a
# live check against a running service whose events must pass the sanity
# checks (whole positive ids, known types, trigger and exec not after the id).
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	"$ASYNCSCOPE" doctor --binary "$node" --format json > "$TMP/doc-$major.json"
	rc=$?
	check "node $major: doctor --binary exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "node $major: supported" [ "$(json_eval "$TMP/doc-$major.json" d.supported)" = true ]
	check "node $major: every probe site is emulated (no single-step)" \
		[ "$(json_eval "$TMP/doc-$major.json" 'd.probes.every(p => p.emulated)')" = true ]
	check "node $major: TCPWRAP among the provider names" \
		[ "$(json_eval "$TMP/doc-$major.json" 'd.providers.includes("TCPWRAP")')" = true ]

	hs="$TMP/hs-$major.json"
	"$node" "$WORKLOADS/server.js" "$hs" &
	srv=$!
	BG_PIDS="$BG_PIDS $srv"
	wait_for "$hs" 10 || { fail "node $major: server did not start"; continue; }
	clients_until "$(json_eval "$hs" d.port)" "$TMP/doc-$major.done" &
	cl=$!
	"$ASYNCSCOPE" doctor -p "$srv" --live 2s > "$TMP/doc-$major.txt"
	rc=$?
	touch "$TMP/doc-$major.done"
	wait "$cl"
	sed 's/^/    /' "$TMP/doc-$major.txt" | grep -E 'live check|node layer|target'
	check "node $major: doctor -p exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "node $major: live check passed with events" grep -Eq 'live check  ok: [1-9][0-9]* events' "$TMP/doc-$major.txt"
	check "node $major: node version read from the binary" grep -q "^node        v$major\." "$TMP/doc-$major.txt"
	if [ "$major" -ge 24 ]; then
		check "node $major: says promises get no ids (AsyncContextFrame, no hook)" \
			grep -q "promises    none get ids: node >= 24 runs AsyncLocalStorage on AsyncContextFrame" "$TMP/doc-$major.txt"
	else
		check "node $major: says promises get no ids without a hook" \
			grep -q "promises    none get ids right now" "$TMP/doc-$major.txt"
	fi
	assert_no_probes_left "doctor (node $major)"
	kill -TERM "$srv"
	wait "$srv" 2>/dev/null
done
# no probe site of any supported build is single-stepped, by objdump's reading
if "$TOP/tools/probe-sites.sh" > "$TMP/sites.txt"; then
	ok "every probe site's first instruction is emulated ($(grep -c emulated "$TMP/sites.txt") sites)"
else
	fail "a probe site would be single-stepped: $(grep -v emulated "$TMP/sites.txt" | head -3)"
fi

# with an init hook installed in the target, promises do get ids, and doctor says so
node=$(node_bin "$(node_majors | tail -n 1)")
hs="$TMP/hs-hook.json"
ASYNCSCOPE_GT="$TMP/gt-hook" "$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/server.js" "$hs" &
srv=$!
BG_PIDS="$BG_PIDS $srv"
wait_for "$hs" 10 || fail "hooked server did not start"
clients_until "$(json_eval "$hs" d.port)" "$TMP/doc-hook.done" &
cl=$!
"$ASYNCSCOPE" doctor -p "$srv" --live 1.5s > "$TMP/doc-hook.txt"
touch "$TMP/doc-hook.done"
wait "$cl"
check "with a hook in the target, doctor reports PROMISE ids" \
	grep -q "promises    the target has async_hooks init hooks installed" "$TMP/doc-hook.txt"
kill -TERM "$srv"

# the uv layer: a plain libuv program on disk and running, and a program without libuv
gcc -O2 -o "$TMP/timers" "$E2E_DIR/uvprogs/timers.c" -luv
"$ASYNCSCOPE" doctor --binary "$TMP/timers" > "$TMP/doc-uv.txt"
rc=$?
check "doctor --binary on a libuv program exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "doctor finds the shared libuv and its probe sites" \
	grep -Eq "^  API sites +[1-9][0-9]* probed" "$TMP/doc-uv.txt"
check "doctor finds the program's 3 callbacks (on_chain, on_rep, on_close)" \
	grep -Eq "^  callbacks +3 found" "$TMP/doc-uv.txt"
# unprivileged, on a root process: one line, exit 5 (not "no such process")
node -e 'setInterval(() => {}, 1000)' &
rootproc=$!
BG_PIDS="$BG_PIDS $rootproc"
wait_exec "$rootproc" "$(command -v node)"
# a copy nobody may run: the clone's own folder may be closed to other users
cp "$ASYNCSCOPE" "$TMP/asyncscope"
chmod 755 "$TMP/asyncscope"
runuser -u nobody -- "$TMP/asyncscope" doctor -p "$rootproc" > /dev/null 2> "$TMP/doc-perm.err"
rc=$?
check "doctor -p as nobody on a root process: exit 5 (got $rc), one line: $(cat "$TMP/doc-perm.err")" \
	sh -c '[ "$1" -eq 5 ] && [ "$(wc -l < "$2")" -eq 1 ] && grep -q "permission denied" "$2"' \
	_ "$rc" "$TMP/doc-perm.err"
kill "$rootproc"

"$ASYNCSCOPE" doctor --binary /bin/true > "$TMP/doc-none.txt"
rc=$?
check "doctor --binary on a program with neither node nor libuv exits 4 (got $rc)" [ "$rc" -eq 4 ]
gcc -O2 -o "$TMP/ticker" "$E2E_DIR/uvprogs/ticker.c" -luv
# it ticks for a minute (killed once doctor is done); doctor starts once
# the dynamic linker has mapped libuv into it
"$TMP/ticker" 60000 &
tick=$!
BG_PIDS="$BG_PIDS $tick"
i=0
until grep -q libuv "/proc/$tick/maps" 2>/dev/null || [ $i -gt 100 ]; do i=$((i + 1)); sleep 0.05; done
"$ASYNCSCOPE" doctor -p "$tick" --live 1s > "$TMP/doc-uvlive.txt"
rc=$?
kill "$tick"
wait "$tick" 2>/dev/null
check "doctor -p on a running libuv program passes its live check (rc $rc)" \
	grep -Eq "^live check  ok: [1-9][0-9]* uv events" "$TMP/doc-uvlive.txt"
assert_no_probes_left "doctor on libuv programs"
finish
