// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Structural facts about real third-party libuv programs (Debian's libuv.so.1),
// from a uv-layer capture:
//   node uv_thirdparty.js uvloop N capture.jsonl  - asyncio echo server on uvloop, N clients
//   node uv_thirdparty.js ctest N capture.jsonl   - ctest running N tests
'use strict';
const fs = require('fs');

const [kind, nArg, file] = process.argv.slice(2);
const N = Number(nArg);
const ev = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.layer === 'uv');
const res = new Map();
for (const e of ev) {
  if (e.event === 'init') res.set(e.id, { ...e, before: 0, after: 0, destroy: 0 });
  const r = res.get(e.id);
  if (r && e.event !== 'init') r[e.event]++;
}
const all = [...res.values()].filter((r) => !r.internal);
const errors = [];
const expect = (c, w) => { if (!c) errors.push(w); };
for (const r of all) expect(r.before === r.after, `${r.type} ${r.id}: ${r.before} before vs ${r.after} after`);
const ofType = (t) => all.filter((r) => r.type === t);
const children = (id) => all.filter((r) => r.trigger === id);
let facts = '';

if (kind === 'uvloop') {
  const tcp = ofType('uv_tcp');
  // the listening handle: the uv_tcp whose callback created N connections
  const listener = tcp.find((r) => children(r.id).filter((c) => c.type === 'uv_tcp').length === N);
  expect(listener, `a uv_tcp that accepted ${N} connections (its callback made them)`);
  const accepted = listener ? children(listener.id).filter((c) => c.type === 'uv_tcp') : [];
  expect(accepted.every((c) => c.trigger === listener.id), 'every accepted connection triggered by the listening handle');
  expect(accepted.every((c) => c.before >= 1 && c.destroy === 1), 'every accepted connection called back and closed');
  const connects = ofType('uv_connect');
  expect(connects.length === N, `${N} uv_connect, got ${connects.length}`);
  expect(connects.every((c) => c.before === 1 && c.destroy === 1), 'every connect: one callback, then gone');
  facts = `listener ${listener && listener.id} accepted ${accepted.length} connections; ${connects.length} connects; ${tcp.length} uv_tcp in all`;
} else if (kind === 'ctest') {
  const procs = ofType('uv_process').sort((a, b) => a.id - b.id);
  expect(procs.length === N, `${N} uv_process (one per test), got ${procs.length}`);
  expect(procs.every((p) => p.before === 2 && p.destroy === 1), 'every test process: exit and close callbacks, then destroyed');
  // ctest runs them one after the other: each spawned from the previous one's exit callback
  procs.forEach((p, i) => i && expect(p.trigger === procs[i - 1].id, `test ${i + 1} spawned from test ${i}'s exit (trigger ${p.trigger})`));
  const pipes = ofType('uv_pipe');
  expect(pipes.length === 2 * N, `2 output pipes per test, got ${pipes.length}`);
  expect(pipes.every((p) => p.destroy === 1), 'every pipe closed');
  facts = `${procs.length} test processes chained ${procs.map((p) => p.id).join(' -> ')}; ${pipes.length} pipes; ${ofType('uv_timer').length} timeout timers`;
} else {
  errors.push(`unknown kind ${kind}`);
}
if (errors.length) {
  console.log(`${kind}: FAIL: ${errors.slice(0, 5).join('; ')}`);
  process.exit(1);
}
console.log(`${kind}: ok: ${facts}`);
