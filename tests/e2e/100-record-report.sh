#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# record and report: on every node version the fidelity workload is traced
# to JSON Lines and recorded to .asr in the same run; `report --format jsonl`
# must give back the live JSONL byte for byte, and the capture must be at
# least 5x smaller. The top view is checked against the in-process
# async_hooks ground truth of that run (counts and callbacks per native
# type), leaks against a program that exits with servers and sockets open,
# the libuv layer on a C program of known shape, the chrome and html outputs
# in a validator and in headless Chromium, and damaged captures must be
# refused with the offset named.
. "$(dirname "$0")/lib.sh"
require_bpf

# round trip: live JSONL == record -> report JSONL, on every node version
for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	rm -f "$TMP"/gt.*
	ASYNCSCOPE_GT="$TMP/gt" "$ASYNCSCOPE" trace -q -o "$TMP/live-$major.jsonl" \
		--record "$TMP/app-$major.asr" -- "$node" -r "$WORKLOADS/recorder.js" \
		"$WORKLOADS/fidelity.js"
	check "node $major: trace --record exits 0" [ $? -eq 0 ]
	"$ASYNCSCOPE" report -q "$TMP/app-$major.asr" --format jsonl -o "$TMP/back-$major.jsonl"
	check "node $major: report exits 0 without root privileges needed" [ $? -eq 0 ]
	check "node $major: record -> report JSONL identical to the live JSONL" \
		cmp -s "$TMP/live-$major.jsonl" "$TMP/back-$major.jsonl"
	jsonl=$(wc -c < "$TMP/live-$major.jsonl")
	asr=$(wc -c < "$TMP/app-$major.asr")
	events=$(($(wc -l < "$TMP/live-$major.jsonl") - 1))
	check "node $major: capture $asr bytes vs JSONL $jsonl ($((jsonl / asr))x smaller, $events events) >= 5x" \
		[ $((asr * 5)) -le "$jsonl" ]
	"$ASYNCSCOPE" report -q "$TMP/app-$major.asr" --view top --format json --limit 0 \
		-o "$TMP/top-$major.json"
	if node "$E2E_DIR/report_truth.js" "$TMP/top-$major.json" "$TMP/gt" "$TMP/live-$major.jsonl" > "$TMP/truth.txt"; then
		ok "node $major: $(cat "$TMP/truth.txt")"
	else
		fail "node $major: top differs from async_hooks: $(head -n 5 "$TMP/truth.txt" | tr '\n' ';')"
	fi
done

# the same with both layers, recorded by `record` itself
node=$(node_bin "$(node_majors | tail -n 1)")
"$ASYNCSCOPE" trace -q --layers node,uv -o "$TMP/nu.jsonl" --record "$TMP/nu.asr" -- \
	"$node" "$WORKLOADS/fidelity.js"
check "node,uv: trace --record exits 0" [ $? -eq 0 ]
"$ASYNCSCOPE" report -q "$TMP/nu.asr" --format jsonl -o "$TMP/nu-back.jsonl"
check "node,uv: record -> report JSONL identical" cmp -s "$TMP/nu.jsonl" "$TMP/nu-back.jsonl"
check "node,uv: uv layer present" grep -q '"layer":"uv"' "$TMP/nu-back.jsonl"
# record --input converts a JSONL capture: the same events again
"$ASYNCSCOPE" record -q --input "$TMP/nu.jsonl" -o "$TMP/nu-conv.asr"
"$ASYNCSCOPE" report -q "$TMP/nu-conv.asr" --format jsonl -o "$TMP/nu-conv.jsonl"
check "record --input JSONL -> report: identical" cmp -s "$TMP/nu.jsonl" "$TMP/nu-conv.jsonl"

# leaks: a program that exits with 3 servers and 5 connections open
"$ASYNCSCOPE" record -q -o "$TMP/leak.asr" -- "$node" "$WORKLOADS/leak.js" "$TMP/leak-truth.json"
check "leak: record exits 0" [ $? -eq 0 ]
"$ASYNCSCOPE" report -q "$TMP/leak.asr" --view leaks --format json --limit 0 -o "$TMP/leaks.json"
check "leak: alive per native type equals async_hooks at exit ($(cat "$TMP/leak-truth.json"))" node -e '
  const fs = require("fs");
  const truth = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const leaks = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const got = {};
  for (const g of leaks.groups) got[g.type] = (got[g.type] || 0) + g.alive;
  const want = {};
  for (const [t, n] of Object.entries(truth)) if (/^[A-Z0-9_]+$/.test(t) && t !== "PROMISE") want[t] = n;
  const a = JSON.stringify(Object.entries(got).sort()), b = JSON.stringify(Object.entries(want).sort());
  if (a !== b) { console.log("  got " + a + ", want " + b); process.exit(1); }' \
	"$TMP/leak-truth.json" "$TMP/leaks.json"
"$ASYNCSCOPE" leaks -q --input "$TMP/leak.asr" > "$TMP/leaks.txt"
check "leak: text names the 3 listening servers" \
	grep -Eq '^ +3 .* TCPSERVERWRAP <- ' "$TMP/leaks.txt"

# the libuv layer on a C program: 5 chained uv_fs requests
gcc -O2 -Wall -o "$TMP/fschain" "$E2E_DIR/uvprogs/fschain.c" -luv ||
	fail "cannot build fschain (libuv1-dev installed?)"
"$ASYNCSCOPE" record -q -o "$TMP/fs.asr" -- "$TMP/fschain" > /dev/null
check "fschain: record exits 0" [ $? -eq 0 ]
"$ASYNCSCOPE" top -q --input "$TMP/fs.asr" --format json > "$TMP/fs-top.json"
check "fschain: top has uv_fs with 5 resources, 5 callbacks" node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const t = d.types.find((t) => t.type === "uv_fs" && t.layer === "uv");
  process.exit(t && t.count === 5 && t.callbacks === 5 && t.callback.total_ns > 0 ? 0 : 1);' \
	"$TMP/fs-top.json"
"$ASYNCSCOPE" report -q "$TMP/fs.asr" --format folded > "$TMP/fs.folded"
check "fschain: folded has the 5-deep chain uv_fs;uv_fs;uv_fs;uv_fs;uv_fs" \
	grep -Eq '(^|;)uv_fs;uv_fs;uv_fs;uv_fs;uv_fs [0-9]+$' "$TMP/fs.folded"
"$ASYNCSCOPE" stats -q --input "$TMP/fs.asr" --format json > "$TMP/fs-stats.json"
"$ASYNCSCOPE" report -q "$TMP/fs.asr" --format jsonl > "$TMP/fs.jsonl"
check "fschain: stats counts every uv init of the stream, the chain is 4 links deep, 0 lost" node -e '
  const fs = require("fs");
  const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const inits = fs.readFileSync(process.argv[2], "utf8").split("\n").filter((l) => l.includes("\"event\":\"init\"")).length;
  process.exit(d.uv_resources === inits && inits >= 5 && d.max_trigger_depth === 4 && d.not_seen.lost === 0 ? 0 : 1);' \
	"$TMP/fs-stats.json" "$TMP/fs.jsonl"

# folded lines are well formed and weigh the callback time of the capture
major=$(node_majors | tail -n 1)
asr="$TMP/app-$major.asr"
"$ASYNCSCOPE" report -q "$asr" --format folded > "$TMP/app.folded"
check "folded: every line is 'frame;frame... weight' and the weights add up to the total callback time" node -e '
  const fs = require("fs");
  const lines = fs.readFileSync(process.argv[1], "utf8").trim().split("\n");
  const top = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  let sum = 0;
  for (const l of lines) { const m = /^[^ ;][^;]*(;[^;]+)* ([0-9]+)$/.exec(l); if (!m) process.exit(1); sum += Number(m[2]); }
  const total = top.types.reduce((a, t) => a + t.callback.total_ns, 0);
  if (sum !== total) { console.log("  folded " + sum + " ns, top " + total + " ns"); process.exit(1); }' \
	"$TMP/app.folded" "$TMP/top-$major.json"

# chrome: structurally valid, flows paired
"$ASYNCSCOPE" report -q "$asr" --format chrome -o "$TMP/app.chrome.json"
if node "$E2E_DIR/check_chrome.js" "$TMP/app.chrome.json" > "$TMP/chk.txt"; then
	ok "chrome trace valid: $(cat "$TMP/chk.txt")"
else
	fail "chrome trace invalid: $(cat "$TMP/chk.txt")"
fi

# html: opens in headless Chromium, tree and timeline render and link, no
# console errors; the screenshot is kept in tests/e2e/out
"$ASYNCSCOPE" report -q "$asr" --format html -o "$OUT_DIR/report.html"
check "html written" [ -s "$OUT_DIR/report.html" ]
if ! pw=$("$TOP/tools/fetch-playwright.sh"); then
	skip_or_fail "playwright-core could not be installed from the npm registry"
fi
[ -x "${ASYNCSCOPE_CHROMIUM:-/usr/bin/chromium}" ] ||
	skip_or_fail "no Chromium (Debian package chromium; sudo make deps installs it)"
ASYNCSCOPE_PLAYWRIGHT="$pw" node "$E2E_DIR/html_check.js" "$OUT_DIR/report.html" \
	"$OUT_DIR/report.png" > "$TMP/html.txt"
rc=$?
case $rc in
0) ok "html in Chromium: $(cat "$TMP/html.txt")" ;;
2) skip_or_fail "html check cannot run: $(cat "$TMP/html.txt")" ;;
*) fail "html in Chromium: $(head -n 5 "$TMP/html.txt" | tr '\n' ';')" ;;
esac

# a recording cut short (recorder killed): read up to the last whole chunk,
# with a warning naming where it ends
size=$(wc -c < "$asr")
head -c $((size / 2)) "$asr" > "$TMP/cut.asr"
"$ASYNCSCOPE" report -q "$TMP/cut.asr" --view stats > /dev/null 2> "$TMP/cut.err"
rc=$?
check "cut capture: read with a warning (exit $rc): $(head -n 1 "$TMP/cut.err")" \
	sh -c '[ "$1" -eq 0 ] && grep -q "offset [0-9]*: cut short inside a chunk" "$2"' \
	_ "$rc" "$TMP/cut.err"
# damaged captures: one line naming the file and the offset or reason, exit 6
cp "$asr" "$TMP/flip.asr"
printf '\377' | dd of="$TMP/flip.asr" bs=1 seek=$((size / 3)) conv=notrunc 2>/dev/null
head -c 7 "$asr" > "$TMP/header.asr"
cp /bin/true "$TMP/foreign.asr"
: > "$TMP/empty.asr"
for bad in flip header foreign empty; do
	"$ASYNCSCOPE" report -q "$TMP/$bad.asr" > /dev/null 2> "$TMP/$bad.err"
	rc=$?
	check "$bad capture refused with exit 6 (got $rc): $(head -n 1 "$TMP/$bad.err")" [ "$rc" -eq 6 ]
	check "$bad capture: one-line error naming the file" \
		sh -c '[ "$(wc -l < "$1")" -eq 1 ] && grep -q "$2" "$1"' _ "$TMP/$bad.err" "$bad.asr"
done
check "flipped byte: the error names an offset" grep -q "offset" "$TMP/flip.err"
assert_no_probes_left "record"
finish
