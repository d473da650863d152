#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# An init made inside an init hook: the app's own hook does an fs.stat in
# the init of 5 FSREQCALLBACKs (workloads/init_in_init.js). async_hooks
# reports the outer init, then the nested one; asyncscope must report them
# in that order (compare.js fails on any difference in per-thread init or
# before/after order), on every node version. Node builds without
# EmitTraceAsyncStart (20) used to send the outer init at AsyncReset's
# return, after the hooks had run: the nested one came first.
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	gt="$TMP/gt-$major"
	obs="$TMP/obs-$major.jsonl"
	ASYNCSCOPE_GT="$gt" "$ASYNCSCOPE" trace -q -o "$obs" -- \
		"$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/init_in_init.js"
	rc=$?
	check "node $major: traced workload exits 0 (got $rc)" [ "$rc" -eq 0 ]
	if indented node "$E2E_DIR/compare.js" "$obs" "$gt" --json "$TMP/cmp-$major.json"; then
		ok "node $major: inits made inside init hooks in async_hooks' order"
	else
		fail "node $major: inits made inside init hooks differ from async_hooks"
	fi
	n=$(json_eval "$TMP/cmp-$major.json" 'd.results.init.gt' 2>/dev/null)
	check "node $major: 10 FSREQCALLBACK inits, 5 of them nested (got ${n:-none})" [ "${n:-0}" -eq 10 ]
done

# the order check must be able to fail: the first two inits swapped
major=$(node_majors | head -n 1)
obs="$TMP/obs-$major.jsonl"
if [ -s "$obs" ]; then
	node -e '
	  const fs = require("fs");
	  const l = fs.readFileSync(process.argv[1], "utf8").split("\n");
	  const i = l.findIndex((s) => s.includes("\"event\":\"init\"") && s.includes("\"layer\":\"node\""));
	  const j = l.findIndex((s, k) => k > i && s.includes("\"event\":\"init\"") && s.includes("\"layer\":\"node\""));
	  [l[i], l[j]] = [l[j], l[i]];
	  fs.writeFileSync(process.argv[2], l.join("\n"));' "$obs" "$TMP/swapped.jsonl"
	if node "$E2E_DIR/compare.js" "$TMP/swapped.jsonl" "$TMP/gt-$major" >/dev/null 2>&1; then
		fail "compare.js accepted a capture with two inits swapped"
	else
		ok "compare.js rejects a capture with two inits swapped"
	fi
fi
assert_no_probes_left "the runs"
finish
