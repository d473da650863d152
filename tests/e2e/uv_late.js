// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Exact counts and trigger edges from a uv-layer capture of a third-party
// program whose libuv callbacks live in code asyncscope finds only at run
// time (a library dlopen'd after start, or one it links), traced from its
// first line with `trace --`: nothing may be missed or unlinked in the
// moments after a callback is first registered.
//   node uv_late.js uvloop N capture.jsonl -       - thirdparty/uvloop_seq.py N
//   node uv_late.js nvim TICKS capture.jsonl OUT   - thirdparty/nvim_timer.lua (OUT: its truth file)
// Besides the counts, every init's trigger must be the callback running on
// its thread at that moment, as the before/after events show it (so no
// callback ran unseen), and the summary must show nothing missed.
'use strict';
const fs = require('fs');

const [kind, nArg, file, truthFile] = process.argv.slice(2);
const N = Number(nArg);
const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const summary = lines.pop();
const ev = lines.filter((e) => e.layer === 'uv');
const errors = [];
const expect = (c, w) => { if (!c) errors.push(w); };

// resources, and the callback running on each thread when each was made
const res = new Map();
const running = new Map(); // tid -> stack of ids in their callbacks
let unlinked = 0;
for (const e of ev) {
  const stack = running.get(e.tid) || [];
  running.set(e.tid, stack);
  if (e.event === 'init') {
    const top = stack.length ? stack[stack.length - 1] : 0;
    if (e.trigger !== top || e.exec !== e.trigger) unlinked++;
    res.set(e.id, { ...e, before: 0, after: 0, destroy: 0, runningAtInit: top });
    continue;
  }
  const r = res.get(e.id);
  if (!r) { errors.push(`${e.event} of an id never initialised: ${e.id}`); continue; }
  r[e.event]++;
  if (e.event === 'before') stack.push(e.id);
  if (e.event === 'after') expect(stack.pop() === e.id, `after of ${e.id} is not the innermost callback`);
}
expect(unlinked === 0, `${unlinked} inits whose trigger is not the callback running then`);
const all = [...res.values()].filter((r) => !r.internal);
for (const r of all) {
  expect(r.before === r.after, `${r.type} ${r.id}: ${r.before} before vs ${r.after} after`);
  expect(!r.late_probe, `${r.type} ${r.id}: registered before its callback was probed`);
}
expect(summary.event === 'summary', 'a summary line at the end');
for (const f of ['lost', 'uv_callbacks_unprobed', 'uv_late_unseen', 'uv_probe_failures', 'hold_timeouts'])
  expect(summary[f] === 0, `summary ${f} ${summary[f]}, want 0`);
expect(summary.holds >= 1, `the target was held for its new callbacks (holds ${summary.holds})`);
const ofType = (t) => all.filter((r) => r.type === t);
const byId = (id) => res.get(id);
let facts = '';

if (kind === 'uvloop') {
  const tcp = ofType('uv_tcp');
  expect(tcp.length === 2 * N + 1, `${2 * N + 1} uv_tcp (listener, ${N} accepted, ${N} clients), got ${tcp.length}`);
  // the listener: the uv_tcp whose callback made the accepted ones
  const listeners = tcp.filter((r) => tcp.some((c) => c.trigger === r.id));
  expect(listeners.length === 1, `one listening uv_tcp, got ${listeners.length}`);
  const listener = listeners[0] || {};
  const accepted = tcp.filter((r) => r.trigger === listener.id);
  expect(accepted.length === N, `${N} accepted uv_tcp triggered by the listener, got ${accepted.length}`);
  expect(listener.before === N + 1, `listener: ${N} connection callbacks and its close, got ${listener.before}`);
  // uvloop runs asyncio's ready queue (so every coroutine step) in its
  // uv_idle handle's callback: that is where connections are made
  const connects = ofType('uv_connect');
  expect(connects.length === N, `${N} uv_connect, got ${connects.length}`);
  expect(connects.every((c) => c.before === 1 && c.destroy === 1), 'every connect: one callback, then gone');
  const idle = ofType('uv_idle');
  expect(idle.length === 1, `uvloop's one uv_idle, got ${idle.length}`);
  const madeInIdle = (r) => idle.length && r.trigger === idle[0].id;
  expect(connects.every(madeInIdle), 'every uv_connect triggered by the uv_idle running the coroutine that made it');
  const clients = tcp.filter((r) => r !== listener && r.trigger !== listener.id);
  expect(clients.length === N && clients.every(madeInIdle), `${N} client uv_tcp made in the uv_idle callback`);
  expect(madeInIdle(listener), 'the listener made in the uv_idle callback (start_server)');
  expect([...accepted, ...clients].every((r) => r.before >= 1 && r.destroy === 1), 'every connection called back and closed');
  facts = `${tcp.length} uv_tcp: listener ${listener.id} accepted ${accepted.length}, ${clients.length} clients; ` +
    `${connects.length} uv_connect, ${connects.filter((c) => c.before === 1).length} called back, all triggered by uv_idle ${idle[0] && idle[0].id}`;
} else if (kind === 'nvim') {
  const m = /^uv_timer_t: (0x[0-9a-f]+) ticks (\d+)$/.exec(fs.readFileSync(truthFile, 'utf8').trim());
  expect(m, `truth file: ${truthFile}`);
  const addr = m ? '0x' + BigInt(m[1]).toString(16) : '';
  expect(m && Number(m[2]) === N, `the script counted ${m && m[2]} ticks, want ${N}`);
  const timers = ofType('uv_timer').filter((r) => r.obj === addr);
  expect(timers.length === 1, `one uv_timer at ${addr}, got ${timers.length}`);
  const t = timers[0] || {};
  // its callbacks: the N ticks, then the close callback that ends it
  expect(t.before === N + 1 && t.destroy === 1, `timer ${t.id}: ${N} ticks and its close, got ${t.before} callbacks, ${t.destroy} destroy`);
  facts = `luv timer ${t.id} at ${addr}: ${t.before - 1} timer callbacks of ${N}, closed`;
} else {
  errors.push(`unknown kind ${kind}`);
}
facts += `; held ${summary.holds}x, ${(summary.held_ns / 1e6).toFixed(1)} ms in all (longest ${(summary.held_max_ns / 1e6).toFixed(1)} ms)`;
if (errors.length) {
  console.log(`${kind}: FAIL: ${errors.slice(0, 6).join('; ')}`);
  process.exit(1);
}
console.log(`${kind}: ok: ${facts}`);
