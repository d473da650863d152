#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The V8 layout doctor derives from the v8dbg_* metadata, checked against a
# live heap on every tested major: V8's own %DebugPrint names the fields of
# a function, a class and a cons string, and v8_live_check.py reads the
# process's memory with the derived offsets (JSFunction shared/context/code
# or dispatch handle, map and instance types, the JSFunction range,
# SharedFunctionInfo name/script/function_data, Script name/source, string
# layouts) and compares. Nothing is attached; the process waits on a pipe.
. "$(dirname "$0")/lib.sh"
require_root

cat > "$TMP/live.js" <<'JS'
function liveCheckProbe(a) { return a + 1; }
liveCheckProbe(1);
class LiveCheckClass { m() {} }
const s = "abc" + String(Date.now());
%DebugPrint(liveCheckProbe);
%DebugPrint(LiveCheckClass);
%DebugPrint(s);
process.stdout.write("READY\n");
require("fs").readSync(0, Buffer.alloc(1));
JS
for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	"$ASYNCSCOPE" doctor --binary "$node" --format json > "$TMP/doc.json"
	check "node $major: V8 layout available, every cross-check ok" \
		[ "$(json_eval "$TMP/doc.json" 'd.v8.available && d.v8.checks.every((c) => c.ok)')" = true ]
	mkfifo "$TMP/in-$major"
	"$node" --allow-natives-syntax "$TMP/live.js" < "$TMP/in-$major" > "$TMP/print-$major.txt" &
	pid=$!
	BG_PIDS="$BG_PIDS $pid"
	exec 3> "$TMP/in-$major"
	eventually 10 grep -q READY "$TMP/print-$major.txt"
	if python3 "$E2E_DIR/v8_live_check.py" "$pid" "$TMP/print-$major.txt" "$TMP/doc.json" \
		"$TMP/live.js" > "$TMP/live-$major.txt"; then
		ok "node $major: the live heap agrees with the derived layout ($(grep -c '^ok' "$TMP/live-$major.txt") checks)"
	else
		fail "node $major: the live heap disagrees: $(grep FAIL "$TMP/live-$major.txt" | head -3)"
	fi
	echo x >&3
	exec 3>&-
	wait "$pid"
done
finish
