#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Both layers at once on node (--layers node,uv), every node version: the
# node layer still matches async_hooks exactly (the uv probes in node's own
# libuv must not disturb it), every uv object linked to a node resource is
# linked to the right one and every resource that owns a uv object is
# linked (node_uv_link.js), and the uv layer's callbacks nest and balance.
# Then the key a consumer must use: uv ids are asyncscope's own and meet
# asyncIds (id 2 is both a uv_async and a native resource), so a resource is
# (pid, tid, layer, id); the checkers key by it, and a tree of both layers
# gives tree_shape.js the same node-layer shape as a tree of the node layer.
. "$(dirname "$0")/lib.sh"
require_bpf

for major in $(node_majors); do
	node=$(node_bin "$major") || { fail "node $major unavailable"; continue; }
	echo "  node $major: $node"
	gt="$TMP/gt-$major"
	obs="$TMP/obs-$major.jsonl"
	ASYNCSCOPE_GT="$gt" "$ASYNCSCOPE" trace -q --layers node,uv -o "$obs" -- \
		"$node" -r "$WORKLOADS/recorder.js" "$WORKLOADS/fidelity.js" 2>"$TMP/err-$major"
	rc=$?
	check "node $major: traced workload exits 0 (got $rc)" [ "$rc" -eq 0 ]
	check "node $major: no warnings ($(head -c 200 "$TMP/err-$major"))" [ ! -s "$TMP/err-$major" ]
	if indented node "$E2E_DIR/compare.js" "$obs" "$gt"; then
		ok "node $major: node layer matches async_hooks with the uv layer on"
	else
		fail "node $major: node layer fidelity with the uv layer on"
	fi
	if indented node "$E2E_DIR/node_uv_link.js" "$obs"; then
		ok "node $major: uv objects linked to their node resources"
	else
		fail "node $major: uv <-> node links"
	fi
	check "node $major: uv callbacks balance and nest per thread" node -e '
	  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	  const s = l.pop(), stacks = new Map();
	  let cbs = 0;
	  for (const e of l.filter((e) => e.layer === "uv")) {
	    const st = stacks.get(e.tid) || []; stacks.set(e.tid, st);
	    if (e.event === "before") { st.push(e.id); cbs++; }
	    if (e.event === "after" && st.pop() !== e.id) process.exit(1);
	  }
	  if ([...stacks.values()].some((st) => st.length) || cbs < 100) process.exit(1);
	  process.exit(s.read_errors === 0 && s.lost === 0 && s.uv_callbacks_unprobed === 0 ? 0 : 1);' "$obs"
	assert_no_probes_left "node $major"
done

# the key: on one thread, ids shared by a uv object and a node or js
# resource exist (else the checks below prove nothing); by (pid, tid, layer,
# id) every resource has one init, by (pid, tid, id) some have two; and
# tree_shape.js, keying by layer, finds the node layer's tree the same with
# the uv objects in it. On the first version's live capture, and on a
# recorded one (node 22 HTTP, both layers) whose ids are known to meet.
key_checks() { # JSONL LABEL
	shared=$(node -e '
	  const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
	  const inits = l.filter((e) => e.event === "init");
	  const count = (key) => { const m = new Map(); for (const e of inits) m.set(key(e), (m.get(key(e)) || 0) + 1); return m; };
	  const twice = (m) => [...m.values()].filter((n) => n > 1).length;
	  console.log(twice(count((e) => `${e.pid}:${e.tid}:${e.id}`)),
	    twice(count((e) => `${e.pid}:${e.tid}:${e.layer}:${e.id}`)));' "$1")
	set -- "$1" "$2" $shared
	check "$2: ids shared by a uv object and an async resource on one thread: ${3:-none}" [ "${3:-0}" -gt 0 ]
	check "$2: by (pid, tid, layer, id) every resource has one init (${4:-?} keys with more)" [ "${4:-1}" -eq 0 ]
	"$ASYNCSCOPE" tree -q --format json -o "$TMP/tree-both.json" --input "$1"
	grep -v '"layer":"uv"' "$1" > "$TMP/nouv.jsonl"
	"$ASYNCSCOPE" tree -q --format json -o "$TMP/tree-node.json" --input "$TMP/nouv.jsonl"
	if indented node "$E2E_DIR/tree_shape.js" "$TMP/tree-both.json" "$TMP/tree-node.json"; then
		ok "$2: tree_shape.js finds the node layer's shape the same with uv objects in the tree"
	else
		fail "$2: tree_shape.js confuses uv objects with async resources of the same id"
	fi
}
obs="$TMP/obs-$(node_majors | head -n 1).jsonl"
key_checks "$obs" "node $(node_majors | head -n 1) live"
"$ASYNCSCOPE" report -q "$TOP/tests/golden/node22-http-uv.asr" --format jsonl -o "$TMP/golden.jsonl"
key_checks "$TMP/golden.jsonl" "recorded node22-http-uv"

# the link check must be able to fail: point one uv_fs at the TCP server
node -e '
  const fs = require("fs");
  const l = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
  const server = l.find((e) => e.layer === "node" && e.type === "TCPSERVERWRAP");
  l.find((e) => e.layer === "uv" && e.type === "uv_fs" && e.wrap != null).wrap = server.id;
  fs.writeFileSync(process.argv[2], l.map((e) => JSON.stringify(e)).join("\n"));' "$obs" "$TMP/bad-link.jsonl"
if node "$E2E_DIR/node_uv_link.js" "$TMP/bad-link.jsonl" >/dev/null; then
	fail "node_uv_link.js accepted a uv_fs linked to a TCP server"
else
	ok "node_uv_link.js rejects a wrong link"
fi
finish
