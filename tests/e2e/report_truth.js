// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Checks `report --view top --format json` against in-process ground truth
// (the recorder.js files of the same run): for every native type, the
// number of resources and of completed callbacks (before..after) must match
// exactly, and each type's
// callback-time percentiles must be ordered (p50 <= p95 <= p99 <= max,
// total >= max). asyncscope also sees what a thread creates before the
// recorder's hook is installed (a worker's MESSAGEPORTs, during bootstrap):
// those are taken from the live JSONL of the same run and added to the
// expected counts only if they were created before the hook existed.
//   node report_truth.js TOP.json GT_BASE LIVE.jsonl  -> exit 0 when all match
'use strict';
const fs = require('fs');
const path = require('path');

const top = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const base = process.argv[3];
const dir = path.dirname(base), prefix = path.basename(base) + '.';
const want = new Map(); // type -> {count, callbacks}
let providers = null;
for (const f of fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.jsonl'))) {
  const byId = new Map();
  for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (e.event === 'thread') providers = new Set(e.providers);
    else if (e.event === 'init') byId.set(e.id, e.type);
    if (e.event !== 'init' && e.event !== 'after') continue;
    const type = byId.get(e.id);
    if (!type) continue; // after of a resource made before the hook
    const w = want.get(type) || { count: 0, callbacks: 0 };
    if (e.event === 'init') w.count++; else w.callbacks++;
    want.set(type, w);
  }
}
if (!providers) { console.log('no ground truth thread record'); process.exit(1); }

// resources the recorder could not see: made on a thread before its hook
const known = new Set(), hookTs = new Map();
for (const f of fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.jsonl')))
  for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line);
    if (e.event === 'thread') hookTs.set(e.tid, BigInt(e.ts));
    if (e.event === 'init') known.add(`${e.tid}:${e.id}`);
  }
const early = new Map(); // tid:id -> type
let earlyCount = 0;
const problems = [];
for (const line of fs.readFileSync(process.argv[4], 'utf8').split('\n')) {
  if (!line) continue;
  const e = JSON.parse(line);
  if (e.layer !== 'node' || (e.event !== 'init' && e.event !== 'after')) continue;
  const key = `${e.tid}:${e.id}`;
  if (e.event === 'init' && !known.has(key)) {
    const hook = hookTs.get(e.tid);
    if (hook !== undefined && BigInt(e.ts) > hook) {
      problems.push(`${e.type} ${key}: seen by asyncscope after the hook was installed, not by async_hooks`);
      continue;
    }
    early.set(key, e.type);
    earlyCount++;
  }
  const type = early.get(key);
  if (!type) continue;
  const w = want.get(type) || { count: 0, callbacks: 0 };
  if (e.event === 'init') w.count++; else w.callbacks++;
  want.set(type, w);
}
const got = new Map(top.types.filter((t) => t.layer === 'node').map((t) => [t.type, t]));
let types = 0, resources = 0, callbacks = 0;
for (const [type, w] of want) {
  // JS-only types, and PROMISE (a native wrap, reported in the js layer)
  if (!providers.has(type) || type === 'PROMISE') continue;
  const g = got.get(type);
  types++;
  resources += w.count;
  callbacks += w.callbacks;
  if (!g) { problems.push(`${type}: missing from top`); continue; }
  if (g.count !== w.count) problems.push(`${type}: count ${g.count}, async_hooks ${w.count}`);
  if (g.callbacks !== w.callbacks) problems.push(`${type}: callbacks ${g.callbacks}, async_hooks ${w.callbacks}`);
  const c = g.callback;
  if (c.n && !(c.p50_ns <= c.p95_ns && c.p95_ns <= c.p99_ns && c.p99_ns <= c.max_ns && c.max_ns <= c.total_ns))
    problems.push(`${type}: callback percentiles out of order ${JSON.stringify(c)}`);
}
for (const type of got.keys())
  if (!want.has(type)) problems.push(`${type}: in top, never initialised in async_hooks`);
if (problems.length) { problems.forEach((p) => console.log(p)); process.exit(1); }
console.log(`top matches async_hooks: ${types} native types, ${resources} resources, ${callbacks} callbacks` +
  ` (${earlyCount} made before the hook, from the live stream)`);
