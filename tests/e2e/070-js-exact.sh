#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The JS layer in exact mode (--js exact: hardware watchpoints on each node
# thread's async_id_fields), on every node version, against async_hooks:
# >= 99% of JS inits recovered with id and trigger, >= 99% of JS before and
# after, visible resources typed right >= 95%. Results: out/js-exact-<major>.json.
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	gt="$TMP/gt-$major"
	obs="$TMP/obs-$major.jsonl"
	ASYNCSCOPE_GT="$gt" "$ASYNCSCOPE" trace -q --js exact -o "$obs" -- \
		"$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/jsmix.js" 2>"$TMP/err-$major"
	check "node $major: traced workload exits 0" [ $? -eq 0 ]
	check "node $major: every thread got its watchpoints" sh -c "! grep -q 'cannot watch' '$TMP/err-$major'"
	if indented node "$E2E_DIR/compare_js.js" "$obs" "$gt" --mode exact \
		--json "$OUT_DIR/js-exact-$major.json"; then
		ok "node $major: JS inits, befores and afters recovered exactly"
	else
		fail "node $major: exact-mode recovery below thresholds"
	fi
	check "node $major: summary counts what was written" node -e '
	  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	  const s = l.pop(); process.exit(s.events === l.length && s.init === l.filter(e => e.event === "init").length ? 0 : 1);' "$obs"
	check "node $major: every thread armed before it ran JS (summary)" node -e '
	  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
	  const s = JSON.parse(l.pop());
	  process.exit(s.js_unwatched_threads === 0 && s.js_ids_before_armed === 0 ? 0 : 1);' "$obs"
	assert_no_probes_left "node $major"
done
finish
