#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Destroys async_hooks never delivers are marked "at_exit": the main thread
# and a worker open TCP connections and make fetch() calls, then the main
# thread closes its connections and calls process.exit() before async_hooks
# hands their destroys to JS, which also tears the worker down without
# running JS (workloads/exit_open.js). Against the in-process recorder, on
# every node version: each destroy it never saw carries at_exit, and each
# destroy it saw does not.
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	obs="$TMP/obs-$major.jsonl"
	ASYNCSCOPE_GT="$TMP/gt-$major" "$ASYNCSCOPE" trace -q -o "$obs" -- \
		"$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/exit_open.js"
	rc=$?
	check "node $major: traced workload exits 0 (got $rc)" [ "$rc" -eq 0 ]
	if indented node "$E2E_DIR/exit_truth.js" "$obs" "$TMP/gt-$major"; then
		ok "node $major: at_exit marks exactly the destroys async_hooks never delivered"
	else
		fail "node $major: at_exit marks differ from what async_hooks delivered"
	fi
	assert_no_probes_left "node $major run"
done
finish
