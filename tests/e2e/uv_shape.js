// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Checks a uv-layer capture of one of tests/e2e/uvprogs against the shape
// that program is written to have (see the comment at the top of each .c):
// resources per type, every trigger edge, callbacks per resource, before /
// after pairing, destroys. The loop's own handles (libuv's internal signal
// and async handles, "internal": true) are left out.
//   node uv_shape.js PROGRAM capture.jsonl   -> exit 0 when the shape holds
'use strict';
const fs = require('fs');

const [prog, file] = process.argv.slice(2);
const ev = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.layer === 'uv');
const internal = new Set(ev.filter((e) => e.event === 'init' && e.internal).map((e) => e.id));
const res = new Map();
const errors = [];
const expect = (cond, what) => { if (!cond) errors.push(what); };
for (const e of ev) {
  if (internal.has(e.id)) continue;
  if (e.event === 'init') {
    expect(!res.has(e.id), `id ${e.id} initialised twice`);
    res.set(e.id, { id: e.id, type: e.type, trigger: e.trigger, before: 0, after: 0, destroy: 0, open: 0 });
    continue;
  }
  const r = res.get(e.id);
  if (!r) { errors.push(`${e.event} of unknown id ${e.id}`); continue; }
  if (e.event === 'before') { r.before++; r.open++; }
  if (e.event === 'after') { r.after++; expect(r.open-- > 0, `after without before on ${e.id}`); }
  if (e.event === 'destroy') { r.destroy++; expect(r.open === 0, `destroy of ${e.id} inside its callback`); }
}
const all = [...res.values()];
const ofType = (t) => all.filter((r) => r.type === t);
for (const r of all) {
  expect(r.before === r.after, `${r.type} ${r.id}: ${r.before} before vs ${r.after} after`);
  expect(r.destroy <= 1, `${r.type} ${r.id}: destroyed ${r.destroy} times`);
}
const types = {};
for (const r of all) types[r.type] = (types[r.type] || 0) + 1;
const count = (t, n) => expect((types[t] || 0) === n, `${n} ${t} expected, got ${types[t] || 0}`);
const onlyTypes = (...ts) => expect(Object.keys(types).every((t) => ts.includes(t)), `unexpected types: ${Object.keys(types).join(' ')}`);
const each = (list, f, what) => list.forEach((r) => expect(f(r), `${r.type} ${r.id}: ${what} (trigger ${r.trigger}, ${r.before} cb, ${r.destroy} destroy)`));

switch (prog) {
case 'timers': {
  onlyTypes('uv_timer');
  count('uv_timer', 6);
  const roots = all.filter((r) => r.trigger === 0);
  expect(roots.length === 2, `2 timers with trigger 0, got ${roots.length}`);
  // follow the chain from its root: each link triggered by the one before
  const byTrigger = new Map(all.filter((r) => r.trigger).map((r) => [r.trigger, r]));
  const chainRoot = roots.find((r) => byTrigger.has(r.id));
  let n = 0;
  for (let r = chainRoot; r; r = byTrigger.get(r.id)) n++;
  expect(n === 5, `a chain of 5 timers, got ${n}`);
  const rep = roots.find((r) => r !== chainRoot);
  expect(rep && rep.before === 4, `the repeating timer: 3 callbacks + close, got ${rep && rep.before}`);
  each(all.filter((r) => r !== rep), (r) => r.before === 2, 'a chain timer: callback + close');
  each(all, (r) => r.destroy === 1, 'destroyed once');
  break;
}
case 'fschain': {
  onlyTypes('uv_fs');
  count('uv_fs', 5);
  const sorted = all.sort((a, b) => a.id - b.id);
  sorted.forEach((r, i) => expect(r.trigger === (i ? sorted[i - 1].id : 0), `uv_fs ${r.id}: trigger ${r.trigger}, expected ${i ? sorted[i - 1].id : 0}`));
  each(all, (r) => r.before === 1 && r.destroy === 1, '1 callback and a destroy');
  break;
}
case 'work': {
  onlyTypes('uv_timer', 'uv_work');
  count('uv_timer', 1);
  count('uv_work', 8);
  const t = ofType('uv_timer')[0];
  expect(t && t.trigger === 0 && t.before === 2 && t.destroy === 1, 'the timer: trigger 0, callback + close, destroyed');
  each(ofType('uv_work'), (r) => t && r.trigger === t.id && r.before === 1 && r.destroy === 1, 'triggered by the timer, 1 callback, destroyed');
  break;
}
case 'echo': {
  onlyTypes('uv_tcp', 'uv_connect', 'uv_write');
  count('uv_tcp', 9);
  count('uv_connect', 4);
  count('uv_write', 8);
  const tcp = ofType('uv_tcp');
  const listener = tcp.find((r) => tcp.filter((x) => x.trigger === r.id).length === 4);
  expect(listener && listener.trigger === 0, 'a listening handle (trigger 0) that triggered the 4 accepted connections');
  const accepted = tcp.filter((r) => listener && r.trigger === listener.id);
  const clients = tcp.filter((r) => r !== listener && !accepted.includes(r));
  expect(clients.length === 4 && clients.every((r) => r.trigger === 0), '4 client handles with trigger 0');
  each(ofType('uv_connect'), (r) => r.trigger === 0 && r.before === 1 && r.destroy === 1, 'connect: trigger 0, 1 callback, destroyed');
  const connectIds = new Set(ofType('uv_connect').map((r) => r.id));
  const acceptedIds = new Set(accepted.map((r) => r.id));
  const writes = ofType('uv_write');
  expect(writes.filter((r) => connectIds.has(r.trigger)).length === 4, 'every client write triggered by its connect');
  expect(writes.filter((r) => acceptedIds.has(r.trigger)).length === 4, 'every echo write triggered by its accepted connection');
  each(writes, (r) => r.before === 1 && r.destroy === 1, 'write: 1 callback, destroyed');
  each(tcp, (r) => r.destroy === 1 && r.before >= 1, 'every handle closed through its close callback');
  break;
}
case 'spawn':
  onlyTypes('uv_process');
  count('uv_process', 1);
  each(all, (r) => r.trigger === 0 && r.before === 2 && r.destroy === 1, 'exit + close callbacks, destroyed');
  break;
case 'async':
  onlyTypes('uv_async');
  count('uv_async', 1);
  each(all, (r) => r.trigger === 0 && r.before === 2 && r.destroy === 1, 'async + close callbacks, destroyed');
  // everything on the loop thread: the sender thread sees no event
  expect(new Set(ev.map((e) => e.tid)).size === 1, 'all events on the loop thread');
  break;
case 'kinds': {
  const one = ['uv_idle', 'uv_prepare', 'uv_check', 'uv_timer', 'uv_fs_event', 'uv_fs_poll', 'uv_poll',
    'uv_udp_send', 'uv_tty', 'uv_random', 'uv_getnameinfo'];
  onlyTypes(...one, 'uv_udp');
  one.forEach((t) => count(t, 1));
  count('uv_udp', 2);
  const idle = ofType('uv_idle')[0];
  each(all.filter((r) => r.type !== 'uv_udp_send'), (r) => r.trigger === 0, 'made in main: trigger 0');
  each(ofType('uv_udp_send'), (r) => idle && r.trigger === idle.id, 'made in the idle callback');
  each(all.filter((r) => ['uv_idle', 'uv_prepare', 'uv_check', 'uv_timer'].includes(r.type)), (r) => r.before === 2, 'its callback once, then its close callback');
  each(all.filter((r) => ['uv_fs_event', 'uv_fs_poll', 'uv_poll'].includes(r.type)), (r) => r.before >= 2, 'its callback, then its close callback');
  const udp = ofType('uv_udp').sort((a, b) => b.before - a.before);
  expect(udp.length === 2 && udp[0].before >= 2 && udp[1].before === 1, 'a udp receiver (receive + close) and a sender (close)');
  each(all.filter((r) => ['uv_udp_send', 'uv_tty', 'uv_random', 'uv_getnameinfo'].includes(r.type)), (r) => r.before === 1, 'one callback');
  each(all, (r) => r.destroy === 1, 'destroyed once');
  break;
}
default:
  errors.push(`unknown program ${prog}`);
}
const summary = Object.entries(types).map(([t, n]) => `${n} ${t}`).join(', ');
if (errors.length) {
  console.log(`${prog}: FAIL (${summary}; ${internal.size} internal): ${errors.slice(0, 6).join('; ')}`);
  process.exit(1);
}
console.log(`${prog}: ok (${summary}; ${all.reduce((a, r) => a + r.before, 0)} callbacks; ${internal.size} loop-internal handles left out)`);
