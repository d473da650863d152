#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The doctor matrix (tests/node-matrix): an early and the newest build of
# every supported line, and the machine's node. Each must resolve with
# every rule holding and its cross-checks agreeing (doctor --binary, no
# process), every probe site emulated, its provider names read, its uv
# layer found, its V8 layout (JS stacks) derived and cross-checked; and a
# short live check on a running process of that build must see well-formed
# events. Offsets move inside a line: this catches a
# rule that holds for the tested build of a line and not for another.
. "$(dirname "$0")/lib.sh"
require_bpf

builds=0
while read -r version source; do
	case "$version" in '' | \#*) continue ;; esac
	node=$("$TOP/tools/fetch-node.sh" --version "$version" "$source") ||
		{ fail "node $version: cannot fetch"; continue; }
	builds=$((builds + 1))
	"$ASYNCSCOPE" doctor --binary "$node" --format json > "$TMP/doc.json" 2> "$TMP/doc.err"
	rc=$?
	if ! check "node $version: doctor --binary exits 0 (got $rc) $(head -c 200 "$TMP/doc.err")" [ "$rc" -eq 0 ]; then
		continue
	fi
	say "node $version: $(json_eval "$TMP/doc.json" '`provider_type_ +0x${d.offsets.wrap_provider.toString(16)}, async_id_ +0x${d.offsets.wrap_async_id.toString(16)}, env->async_hooks_ +0x${d.offsets.env_async_hooks.toString(16)}, ${d.probes.length} sites, ${d.providers.length} providers`')"
	check "node $version: the version read from the binary is v$version" \
		[ "$(json_eval "$TMP/doc.json" d.node_version)" = "v$version" ]
	check "node $version: node layer resolved and cross-checked, uv layer found" \
		[ "$(json_eval "$TMP/doc.json" '[d.supported, d.node_supported, d.uv.supported].join()')" = true,true,true ]
	check "node $version: every probe site emulated, init/before/after/destroy all present" \
		[ "$(json_eval "$TMP/doc.json" 'd.probes.every((p) => p.emulated) &&
			["init", "before", "after", "destroy"].every((r) => d.probes.some((p) => p.role.startsWith(r)))')" = true ]
	check "node $version: provider names start NONE and hold TCPWRAP" \
		[ "$(json_eval "$TMP/doc.json" 'd.providers[0] === "NONE" && d.providers.includes("TCPWRAP")')" = true ]
	check "node $version: V8 layout for JS stacks derived, every cross-check ok" \
		[ "$(json_eval "$TMP/doc.json" 'd.v8.available && d.v8.checks.every((c) => c.ok)')" = true ]

	"$node" -e 'const fs = require("fs"), net = require("net");
	  const s = net.createServer((c) => c.end("x")).listen(0, "127.0.0.1", () => {
	    setInterval(() => { fs.stat(__filename, () => {}); net.connect(s.address().port, "127.0.0.1").resume(); }, 20);
	  });' &
	srv=$!
	BG_PIDS="$BG_PIDS $srv"
	wait_exec "$srv" "$node"
	"$ASYNCSCOPE" doctor -p "$srv" --live 1s > "$TMP/live.txt" 2>&1
	rc=$?
	check "node $version: live check on a running process: $(grep '^live check' "$TMP/live.txt")" \
		sh -c '[ "$1" -eq 0 ] && grep -Eq "^live check  ok: [1-9][0-9]* events \([1-9]" "$2"' _ "$rc" "$TMP/live.txt"
	kill "$srv"
	wait "$srv" 2>/dev/null
done < "$TOP/tests/node-matrix"
check "the matrix held builds ($builds)" [ "$builds" -ge 8 ]
assert_no_probes_left "the doctor matrix"
finish
