#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fidelity against async_hooks, on every node version we support: the
# workload runs under `asyncscope trace -- node -r recorder.js ...`, and
# compare.js requires >= 99.5% of the native ground truth matched per kind
# (init on id+type+trigger, exec, before, after, destroy), <= 0.1% extra
# observed events, zero drops. Then the same workload without the recorder
# must give the same native tree shape. Results: out/fidelity-<major>.json.
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	say "node $major: $node"
	gt="$TMP/gt-$major"
	obs="$TMP/obs-$major.jsonl"
	ASYNCSCOPE_GT="$gt" "$ASYNCSCOPE" trace -q -o "$obs" -- \
		"$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/fidelity.js"
	rc=$?
	check "node $major: traced workload exits 0 (got $rc)" [ "$rc" -eq 0 ]
	if indented node "$E2E_DIR/compare.js" "$obs" "$gt" --json "$OUT_DIR/fidelity-$major.json"; then
		ok "node $major: fidelity thresholds met"
	else
		fail "node $major: fidelity below thresholds"
	fi

	# without the recorder: same native causal structure
	"$ASYNCSCOPE" tree -q --format json -o "$TMP/with-$major.json" --input "$obs"
	"$ASYNCSCOPE" tree -q --format json -o "$TMP/without-$major.json" -- "$node" "$WORKLOADS/fidelity.js"
	if indented node "$E2E_DIR/tree_shape.js" "$TMP/with-$major.json" "$TMP/without-$major.json"; then
		ok "node $major: tree shape identical without the recorder"
	else
		fail "node $major: tree shape differs without the recorder"
	fi
	assert_no_probes_left "node $major runs"
done

# the comparison itself must be able to fail: corrupt 2% of a good
# capture's init triggers and it has to say so
major=$(node_majors | head -n 1)
obs="$TMP/obs-$major.jsonl"
if [ -s "$obs" ]; then
	node -e '
	  const fs = require("fs"); let n = 0;
	  const out = fs.readFileSync(process.argv[1], "utf8").split("\n").map((l) => {
	    if (!l.includes("\"event\":\"init\"") || n++ % 50) return l;
	    const e = JSON.parse(l); e.trigger += 1; return JSON.stringify(e);
	  });
	  fs.writeFileSync(process.argv[2], out.join("\n"));' "$obs" "$TMP/corrupt.jsonl"
	if node "$E2E_DIR/compare.js" "$TMP/corrupt.jsonl" "$TMP/gt-$major" >/dev/null; then
		fail "compare.js accepted a capture with 2% wrong triggers"
	else
		ok "compare.js rejects a capture with 2% wrong triggers"
	fi
	# and the shape check: one native resource re-parented to the root
	node -e '
	  const fs = require("fs"); const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
	  const n = d.nodes.find((n) => n.kind === "resource" && n.layer === "node" && n.parent != null &&
	    d.nodes.some((p) => p.id === n.parent && p.kind === "resource" && p.layer === "node"));
	  n.parent = null;
	  fs.writeFileSync(process.argv[2], JSON.stringify(d));' "$TMP/with-$major.json" "$TMP/moved.json"
	if node "$E2E_DIR/tree_shape.js" "$TMP/moved.json" "$TMP/with-$major.json" >/dev/null; then
		fail "tree_shape.js accepted a tree with a native resource moved"
	else
		ok "tree_shape.js rejects a tree with a native resource moved"
	fi
fi
finish
