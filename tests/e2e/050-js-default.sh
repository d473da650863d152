#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The JS layer in default mode, on every node version: a workload dominated
# by timers, setImmediate, nextTick, promises/async-await and
# AsyncResource.runInAsyncScope, against the in-process async_hooks ground
# truth. JS resources visible from native events (on the id stack when a
# native resource is created, called back or destroyed) must be recovered
# with the right id and trigger (>= 99%) and type (>= 95%); exec on native
# inits must match (>= 99.5%, compare.js); overall JS recall is reported.
# Results: out/js-default-<major>.json.
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	gt="$TMP/gt-$major"
	obs="$TMP/obs-$major.jsonl"
	ASYNCSCOPE_GT="$gt" "$ASYNCSCOPE" trace -q --js default -o "$obs" -- \
		"$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/jsmix.js"
	check "node $major: traced workload exits 0" [ $? -eq 0 ]
	if indented node "$E2E_DIR/compare_js.js" "$obs" "$gt" --json "$OUT_DIR/js-default-$major.json"; then
		ok "node $major: visible JS resources recovered with id, trigger and type"
	else
		fail "node $major: JS recovery below thresholds"
	fi
	node "$E2E_DIR/compare.js" "$obs" "$gt" > "$TMP/native-$major.txt"
	rc=$?
	grep -E '^(init|exec) ' "$TMP/native-$major.txt" | sed 's/^/    /'
	if [ "$rc" -eq 0 ]; then
		ok "node $major: native layer (incl. exec) still exact with the JS layer on"
	else
		fail "node $major: native layer fidelity dropped with the JS layer on"
	fi
	check "node $major: JS events are marked inferred" grep -q '"layer":"js".*"type_inferred":true' "$obs"
	assert_no_probes_left "node $major"
done
finish
