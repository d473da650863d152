// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Structural check of a Trace Event Format file (JSON object form):
// every event has the fields its phase needs, every slice is closed
// (complete "X" events with a duration, or B/E pairs that balance per
// thread), every flow start "s" has exactly one finish "f" with the same
// id, no earlier than the start, and every track is named.
//   node check_chrome.js trace.json   -> exit 0 when valid
'use strict';
const fs = require('fs');

const errors = [];
const err = (m) => { if (errors.length < 20) errors.push(m); };
let doc;
try { doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8')); } catch (e) {
  console.error(`not JSON: ${e.message}`);
  process.exit(1);
}
if (!doc || !Array.isArray(doc.traceEvents)) { console.error('no traceEvents array'); process.exit(1); }
const ev = doc.traceEvents;
const named = new Set(), used = new Set(), open = new Map(), flows = new Map();
let slices = 0;
ev.forEach((e, i) => {
  const where = `event ${i}`;
  if (typeof e.ph !== 'string') return err(`${where}: no ph`);
  if (!Number.isInteger(e.pid) || !Number.isInteger(e.tid)) return err(`${where}: pid/tid not integers`);
  const track = `${e.pid}:${e.tid}`;
  if (e.ph === 'M') {
    if (e.name === 'thread_name' && e.args && typeof e.args.name === 'string') named.add(track);
    return;
  }
  if (typeof e.ts !== 'number' || !(e.ts >= 0)) return err(`${where}: bad ts`);
  used.add(track);
  switch (e.ph) {
  case 'X':
    slices++;
    if (typeof e.name !== 'string' || !(e.dur >= 0)) err(`${where}: X without name or dur >= 0`);
    break;
  case 'B': (open.get(track) || open.set(track, []).get(track)).push(e); slices++; break;
  case 'E': { const st = open.get(track) || []; if (!st.pop()) err(`${where}: E without B`); break; }
  case 's': case 'f': {
    const k = `${e.cat}:${e.id}`;
    const f = flows.get(k) || { s: [], f: [] };
    flows.set(k, f);
    f[e.ph].push(e);
    break;
  }
  default: err(`${where}: unexpected phase ${e.ph}`);
  }
});
for (const [track, st] of open) if (st.length) err(`track ${track}: ${st.length} slices never closed`);
let pairs = 0;
for (const [k, f] of flows) {
  if (f.s.length !== 1 || f.f.length !== 1) { err(`flow ${k}: ${f.s.length} starts, ${f.f.length} finishes`); continue; }
  if (f.f[0].ts < f.s[0].ts) err(`flow ${k}: finishes before it starts`);
  pairs++;
}
for (const t of used) if (!named.has(t)) err(`track ${t} has no thread_name`);
if (!slices) err('no slices');
if (errors.length) { console.log(`INVALID: ${errors.join('; ')}`); process.exit(1); }
console.log(`valid: ${slices} slices on ${used.size} tracks, ${pairs} flows with both ends`);
