#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# timeline on every node version: live capture of the fidelity workload
# (main thread + worker), the text lanes list callbacks of both threads, and
# the Chrome/Perfetto output validates: every slice closed, every flow with
# both ends, every track named, one track per thread.
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	obs="$TMP/obs-$major.jsonl"
	"$ASYNCSCOPE" trace -q -o "$obs" -- "$node" "$WORKLOADS/fidelity.js"
	check "node $major: trace exits 0" [ $? -eq 0 ]
	"$ASYNCSCOPE" timeline -q --input "$obs" --limit 5 > "$TMP/tl-$major.txt"
	check "node $major: timeline text exits 0" [ $? -eq 0 ]
	check "node $major: main-thread lane" grep -q "main thread:" "$TMP/tl-$major.txt"
	check "node $major: worker lane" grep -Eq "^pid [0-9]+ tid [0-9]+: [0-9]+ callbacks" "$TMP/tl-$major.txt"
	check "node $major: nested JS callbacks shown" grep -q "(js)" "$TMP/tl-$major.txt"
	"$ASYNCSCOPE" timeline -q --format chrome --input "$obs" -o "$TMP/tl-$major.json"
	if node "$E2E_DIR/check_chrome.js" "$TMP/tl-$major.json" > "$TMP/chk-$major.txt"; then
		ok "node $major: chrome trace valid: $(cat "$TMP/chk-$major.txt")"
	else
		fail "node $major: chrome trace invalid: $(cat "$TMP/chk-$major.txt")"
	fi
	check "node $major: two tracks (main and worker)" grep -q "on 2 tracks" "$TMP/chk-$major.txt"
done
# live: timeline -p for a moment against a running service
node=$(node_bin "$(node_majors | tail -n 1)")
hs="$TMP/hs.json"
"$node" "$WORKLOADS/server.js" "$hs" &
srv=$!
BG_PIDS="$BG_PIDS $srv"
wait_for "$hs" 10 || fail "server did not start"
clients_until "$(json_eval "$hs" d.port)" "$TMP/live.done" &
cl=$!
"$ASYNCSCOPE" timeline -q -p "$srv" -d 1.5s --format chrome -o "$TMP/live.json"
rc=$?
touch "$TMP/live.done"
wait "$cl"
check "live timeline exits 0 (got $rc)" [ "$rc" -eq 0 ]
check "live chrome trace valid" node "$E2E_DIR/check_chrome.js" "$TMP/live.json"
# a real consumer of the Trace Event Format: speedscope (npm), in Chromium
if pw=$("$TOP/tools/fetch-playwright.sh") && ss=$("$TOP/tools/fetch-speedscope.sh"); then
	major=$(node_majors | tail -n 1)
	if ASYNCSCOPE_PLAYWRIGHT="$pw" ASYNCSCOPE_SPEEDSCOPE="$ss" \
		node "$E2E_DIR/speedscope_check.js" "$TMP/tl-$major.json" > "$TMP/ss.txt" 2>&1; then
		ok "node $major: speedscope loads the chrome trace: $(cat "$TMP/ss.txt")"
	else
		fail "node $major: speedscope: $(cat "$TMP/ss.txt")"
	fi
else
	fail "cannot fetch playwright-core or speedscope from the npm registry"
fi
assert_no_probes_left "timeline"
finish
