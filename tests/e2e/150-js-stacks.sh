#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# trace --js-stacks against new Error().stack taken in-process at every init
# (workloads/recorder.js with ASYNCSCOPE_GT_STACKS=1), on every node version.
# workloads/named_inits.js makes its resources (fs.stat, fs.readFile,
# net.connect, server.listen, ...) from distinct named functions. For the
# node-layer inits made from user code, the innermost frame of the user
# script in js_stack must have the function name and script of the
# recorder's innermost user frame:
#  * cold code (20 rounds, interpreted or baseline): >= 95%;
#  * hot code (3000 stats from one loop): V8 (Maglev on 26) may inline
#    statOne into hotLoop, whose optimized frame is the only one on the
#    stack; Error.stack rebuilds the inlined frame from deoptimization data,
#    --js-stacks does not yet. The name rate is printed, not asserted; the
#    script of the innermost user frame must match >= 95%.
. "$(dirname "$0")/lib.sh"
require_bpf

script="$WORKLOADS/named_inits.js"
for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	for run in cold hot; do
		hot=0
		[ "$run" = hot ] && hot=3000
		gt="$TMP/gt-$major-$run"
		obs="$TMP/obs-$major-$run.jsonl"
		ASYNCSCOPE_GT="$gt" ASYNCSCOPE_GT_STACKS=1 "$ASYNCSCOPE" trace -q --js-stacks -o "$obs" -- \
			"$node" -r "$WORKLOADS/recorder.js" "$script" 20 "$hot"
		check "node $major, $run: traced workload exits 0" [ $? -eq 0 ]
		if [ "$run" = cold ]; then
			if indented node "$E2E_DIR/js_stacks_check.js" "$obs" "$gt" "$script" 95; then
				ok "node $major, cold: innermost user function and script match >= 95%"
			else
				fail "node $major, cold: innermost user function and script match < 95%"
			fi
		else
			indented node "$E2E_DIR/js_stacks_check.js" "$obs" "$gt" "$script" 0
			if indented node "$E2E_DIR/js_stacks_check.js" "$obs" "$gt" "$script" 95 script; then
				ok "node $major, hot: innermost user script matches >= 95%"
			else
				fail "node $major, hot: innermost user script matches < 95%"
			fi
		fi
	done
	assert_no_probes_left "node $major"
done
finish
