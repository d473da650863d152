#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# One layer's rule failing leaves the others working: a copy of node with
# one rule broken (break_rule.js: provider_names[0] is no longer "NONE")
# is traced through its uv layer with one warning line naming the rule;
# --layers node refuses it in one line; doctor exits 4 in every mode
# (--binary, -p, -p --live 0) and says why; nothing is left attached.
. "$(dirname "$0")/lib.sh"
require_bpf

node=$(node_bin "$(node_majors | sed -n 2p)") || { fail "node unavailable"; finish; }
broken="$TMP/node-broken-rule"
node "$E2E_DIR/break_rule.js" "$node" "$broken" || { fail "cannot make the broken copy"; finish; }
# the layout cache is keyed by build-id, which the copy shares with the original
export ASYNCSCOPE_CACHE=off
cat > "$TMP/app.js" <<'JS'
const fs = require('fs');
let n = 0;
const tick = () => fs.stat(__filename, () => { if (++n < 5) setTimeout(tick, 5); });
tick();
JS
rule='provider_names\[0\] is "NOPE", not NONE'

"$ASYNCSCOPE" doctor --binary "$broken" > "$TMP/doc.txt" 2>&1
rc=$?
check "doctor --binary: exit 4 (got $rc)" [ "$rc" -eq 4 ]
check "doctor --binary: names the rule" grep -q "node layer  NOT SUPPORTED: $rule" "$TMP/doc.txt"
check "doctor --binary: the uv layer still resolves" grep -Eq "^  API sites +[1-9][0-9]* probed" "$TMP/doc.txt"
check "doctor --binary: verdict says the node layer is needed" grep -q "^verdict     NOT SUPPORTED" "$TMP/doc.txt"
"$ASYNCSCOPE" doctor --binary "$broken" --format json > "$TMP/doc.json"
check "doctor --format json: supported false, node false, uv true" \
	[ "$(json_eval "$TMP/doc.json" '[d.supported, d.node_supported, d.uv.supported].join()')" = false,false,true ]

"$ASYNCSCOPE" trace -q -o "$TMP/fallback.jsonl" -- "$broken" "$TMP/app.js" 2> "$TMP/fallback.err"
rc=$?
check "trace: exit 0 on the uv layer (got $rc)" [ "$rc" -eq 0 ]
check "trace: one stderr line, the warning naming the rule: $(head -c 240 "$TMP/fallback.err")" \
	sh -c '[ "$(wc -l < "$1")" -eq 1 ] && grep -q "node layer unsupported for .*: $2; tracing the uv layer only" "$1"' \
	_ "$TMP/fallback.err" "$rule"
check "trace: uv events recorded (5 uv_fs stats), no node-layer event" node -e '
  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  l.pop();
  const fsInits = l.filter((e) => e.layer === "uv" && e.event === "init" && e.type === "uv_fs").length;
  process.exit(fsInits >= 5 && !l.some((e) => e.layer !== "uv") ? 0 : 1);' "$TMP/fallback.jsonl"
assert_no_probes_left "trace on the uv layer alone"

"$ASYNCSCOPE" trace -q --layers node -o "$TMP/node.jsonl" -- "$broken" "$TMP/app.js" 2> "$TMP/node.err"
rc=$?
check "trace --layers node: exit 4 (got $rc), one line naming the rule: $(head -c 240 "$TMP/node.err")" \
	sh -c '[ "$1" -eq 4 ] && [ "$(wc -l < "$2")" -eq 1 ] && grep -q "node layer: $3" "$2"' \
	_ "$rc" "$TMP/node.err" "$rule"
"$ASYNCSCOPE" trace -q --layers uv -o "$TMP/uv.jsonl" -- "$broken" "$TMP/app.js" 2> "$TMP/uv.err"
rc=$?
check "trace --layers uv: exit 0 (got $rc) and no warning" sh -c '[ "$1" -eq 0 ] && [ ! -s "$2" ]' _ "$rc" "$TMP/uv.err"

"$broken" -e 'setInterval(() => require("fs").stat(__filename, () => {}), 20)' &
srv=$!
BG_PIDS="$BG_PIDS $srv"
wait_exec "$srv" "$broken"
for live in 1s 0; do
	"$ASYNCSCOPE" doctor -p "$srv" --live "$live" > "$TMP/docp.txt" 2> "$TMP/docp.err"
	rc=$?
	check "doctor -p --live $live: exit 4 (got $rc), names the rule" \
		sh -c '[ "$1" -eq 4 ] && grep -q "NOT SUPPORTED: $3" "$2"' _ "$rc" "$TMP/docp.txt" "$rule"
	[ "$live" = 0 ] ||
		check "doctor -p --live $live: the live check says why it was skipped" \
			grep -q "^live check  skipped: " "$TMP/docp.txt"
done
assert_no_probes_left "doctor -p"
finish
