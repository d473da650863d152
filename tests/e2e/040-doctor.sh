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
	( sleep 0.5; node "$WORKLOADS/client.js" "$(json_eval "$hs" d.port)" 20 ) &
	cl=$!
	"$ASYNCSCOPE" doctor -p "$srv" --live 2s > "$TMP/doc-$major.txt"
	rc=$?
	wait "$cl"
	sed 's/^/    /' "$TMP/doc-$major.txt" | grep -E 'live check|node layer|target'
	check "node $major: doctor -p exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "node $major: live check passed with events" grep -Eq 'live check  ok: [1-9][0-9]* events' "$TMP/doc-$major.txt"
	assert_no_probes_left "doctor (node $major)"
	kill -TERM "$srv"
	wait "$srv" 2>/dev/null
done
finish
