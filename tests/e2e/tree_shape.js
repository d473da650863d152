// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Compares the shape of two trigger trees from `asyncscope tree --format json`:
// the multiset of native type paths from each root (ids differ between runs;
// the causal structure must not). Placeholder, context and JS-layer
// ancestors are left out of a path: an in-process hook makes Node give
// promises ids, which adds JS resources (PROMISE) and JS-only links between
// native resources but changes no native one. Only the node layer's
// resources are compared: a tree of `--layers node,uv` gives the same
// paths as one of the node layer alone.
//
// A resource is named by (pid, tid, layer, id): uv ids are asyncscope's own
// and may equal an asyncId. A parent id is in its child's id space: a uv
// object's parent is a uv object, a node or js resource's parent an asyncId
// (node or js: one counter, so never both).
//   node tree_shape.js A.json B.json   -> exit 0 when equal
'use strict';
const fs = require('fs');

const native = (n) => n.kind === 'resource' && n.layer === 'node';
// node and js ids share Node's asyncId space; uv ids have their own
const space = (layer) => (layer === 'uv' ? 'uv' : 'async');

function paths(file) {
  const d = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byKey = new Map();
  const key = (n, id) => `${n.pid}:${n.tid}:${space(n.layer)}:${id}`;
  for (const n of d.nodes) byKey.set(key(n, n.id), n);
  // threads are told apart by the order their first native resource
  // appears in, not their tids (nor threads with uv objects only)
  const threadOrder = new Map();
  for (const n of d.nodes.filter(native)) if (!threadOrder.has(`${n.pid}:${n.tid}`)) threadOrder.set(`${n.pid}:${n.tid}`, threadOrder.size);
  const label = (n) => n.kind === 'context' ? 'main' : n.kind === 'placeholder' ? '?' : n.type;
  const memo = new Map();
  const pathOf = (n) => {
    const k = key(n, n.id);
    if (memo.has(k)) return memo.get(k);
    const parent = n.parent == null ? null : byKey.get(key(n, n.parent));
    const up = parent ? pathOf(parent) : `t${threadOrder.get(`${n.pid}:${n.tid}`)}:`;
    const p = native(n) ? (up.endsWith(':') ? up : up + '/') + label(n) : up;
    memo.set(k, p);
    return p;
  };
  const bag = new Map();
  for (const n of d.nodes) {
    if (!native(n)) continue;
    const p = pathOf(n);
    bag.set(p, (bag.get(p) || 0) + 1);
  }
  return bag;
}

const [a, b] = [paths(process.argv[2]), paths(process.argv[3])];
const keys = new Set([...a.keys(), ...b.keys()]);
let diffs = 0;
for (const k of [...keys].sort()) {
  if ((a.get(k) || 0) !== (b.get(k) || 0)) {
    if (diffs < 20) console.log(`  ${k}: ${a.get(k) || 0} vs ${b.get(k) || 0}`);
    diffs++;
  }
}
let total = 0;
for (const n of a.values()) total += n;
console.log(diffs ? `tree shapes differ in ${diffs} paths (of ${keys.size})` : `tree shapes equal: ${total} resources, ${keys.size} distinct type paths`);
process.exit(diffs ? 1 : 0);
