// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// JS-layer recall against the in-process async_hooks ground truth.
//
//   node compare_js.js OBSERVED.jsonl GT_PREFIX [--json OUT] [--min-visible 99]
//        [--min-type 95] [--mode default|exact]
//
// "Visible" JS resources are those a native event can see: on the async id
// stack (the ground truth's before/after nesting) when a native resource is
// created, called back or destroyed. For them it requires the right id and
// trigger (--min-visible) and type (--min-type); overall recall over every
// JS resource is reported whatever it is. --mode exact checks every JS init
// (id and trigger) and before/after instead.
'use strict';
const fs = require('fs');
const path = require('path');

const rd = (f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const args = process.argv.slice(2);
const opt = { json: null, minVisible: 99, minType: 95, mode: 'default' };
for (let i = 2; i < args.length; i += 2) {
  const k = args[i], v = args[i + 1];
  if (k === '--json') opt.json = v;
  else if (k === '--min-visible') opt.minVisible = Number(v);
  else if (k === '--min-type') opt.minType = Number(v);
  else if (k === '--mode') opt.mode = v;
  else { console.error(`unknown option ${k}`); process.exit(2); }
}
const obs = rd(args[0]).filter((e) => e.event !== 'summary');
const dir = path.dirname(args[1]), base = path.basename(args[1]);
const gtAll = [];
let threads = [];
for (const f of fs.readdirSync(dir).filter((f) => f.startsWith(base + '.') && f.endsWith('.jsonl'))) {
  for (const e of rd(path.join(dir, f))) (e.event === 'thread' ? threads : gtAll).push(e);
}
const providers = new Set(threads[0].providers);
providers.delete('PROMISE');
const key = (e) => `${e.tid}:${e.id}`;
const gtInit = new Map(gtAll.filter((e) => e.event === 'init').map((e) => [key(e), e]));
const isJs = (k) => gtInit.has(k) && !providers.has(gtInit.get(k).type);

// visible: JS ids on the ground truth's stack at native events
const visible = new Set();
const stacks = new Map();
for (const e of gtAll) {
  const st = stacks.get(e.tid) || [];
  stacks.set(e.tid, st);
  const k = key(e);
  const native = gtInit.has(k) && !isJs(k);
  if (native && ['init', 'before', 'after', 'destroy'].includes(e.event)) {
    for (const id of st) if (isJs(`${e.tid}:${id}`)) visible.add(`${e.tid}:${id}`);
    if (e.event === 'init' && isJs(`${e.tid}:${e.exec}`)) visible.add(`${e.tid}:${e.exec}`);
  }
  if (e.event === 'before') st.push(e.id);
  if (e.event === 'after') {
    const i = st.lastIndexOf(e.id);
    if (i >= 0) st.splice(i);
  }
}

// node's own JS-only types; any other type is an application's AsyncResource,
// whose name only the JS object carries: "AsyncResource" counts as right
const builtinJs = new Set(['Timeout', 'Immediate', 'TickObject', 'PROMISE', 'Microtask']);
const typeRight = (gtType, obsType) => gtType === obsType || (!builtinJs.has(gtType) && obsType === 'AsyncResource');
const obsInit = new Map(obs.filter((e) => e.event === 'init' && e.layer === 'js').map((e) => [key(e), e]));
const rows = {};
const row = (t) => (rows[t] = rows[t] || { gt: 0, visible: 0, visible_ok: 0, type_ok: 0, any_ok: 0 });
let all = 0, allOk = 0, vis = 0, visOk = 0, typeOk = 0;
for (const [k, g] of gtInit) {
  if (!isJs(k)) continue;
  const o = obsInit.get(k);
  const ok = o && o.trigger === g.trigger;
  const r = row(g.type);
  r.gt++;
  all++;
  if (ok) { allOk++; r.any_ok++; }
  if (visible.has(k)) {
    r.visible++;
    vis++;
    if (ok) { visOk++; r.visible_ok++; }
    if (ok && typeRight(g.type, o.type)) { typeOk++; r.type_ok++; }
  }
}
// observed JS resources the ground truth does not have as JS
const bogus = [...obsInit.keys()].filter((k) => !isJs(k)).length;
const pct = (a, b) => (b ? (100 * a) / b : 100);
console.log(`node ${threads[0].version}, mode ${opt.mode}`);
console.log('type              gt-inits  visible  visible-ok  type-ok  all-ok');
for (const [t, r] of Object.entries(rows).sort())
  console.log(`${t.padEnd(16)} ${String(r.gt).padStart(9)} ${String(r.visible).padStart(8)} ${String(r.visible_ok).padStart(11)} ${String(r.type_ok).padStart(8)} ${String(r.any_ok).padStart(7)}`);
const report = {
  version: threads[0].version, mode: opt.mode,
  js_inits: all, recovered_id_trigger: allOk, overall_recall_pct: pct(allOk, all),
  visible: vis, visible_recovered: visOk, visible_recall_pct: pct(visOk, vis),
  visible_type_ok: typeOk, type_accuracy_pct: pct(typeOk, visOk), bogus_js: bogus, per_type: rows,
};
console.log(`visible JS resources recovered (id+trigger): ${visOk}/${vis} = ${report.visible_recall_pct.toFixed(2)}%; ` +
  `type right: ${typeOk}/${visOk} = ${report.type_accuracy_pct.toFixed(2)}%`);
console.log(`overall JS recall: ${allOk}/${all} = ${report.overall_recall_pct.toFixed(2)}%; observed JS ids that are not JS in the ground truth: ${bogus}`);
const fails = [];
if (opt.mode === 'exact') {
  // every JS init (id+trigger) and every JS before/after, as multisets
  for (const kind of ['before', 'after']) {
    const bag = new Map();
    for (const e of gtAll) if (e.event === kind && isJs(key(e))) bag.set(key(e), (bag.get(key(e)) || 0) + 1);
    let gtN = 0, matched = 0;
    for (const n of bag.values()) gtN += n;
    for (const e of obs) {
      if (e.event !== kind || e.layer !== 'js') continue;
      const n = bag.get(key(e)) || 0;
      if (n) { matched++; bag.set(key(e), n - 1); }
    }
    report[`${kind}_recall_pct`] = pct(matched, gtN);
    console.log(`JS ${kind}: ${matched}/${gtN} = ${pct(matched, gtN).toFixed(2)}%`);
    if (pct(matched, gtN) < opt.minVisible) fails.push(`${kind} recall`);
  }
  if (report.overall_recall_pct < opt.minVisible) fails.push('init recall');
}
if (report.visible_recall_pct < opt.minVisible) fails.push('visible recall');
if (report.type_accuracy_pct < opt.minType) fails.push('type accuracy');
if (bogus) fails.push('bogus JS resources');
report.pass = !fails.length;
console.log(report.pass ? 'PASS' : `FAIL: ${fails.join(', ')}`);
if (opt.json) fs.writeFileSync(opt.json, JSON.stringify(report, null, 2) + '\n');
process.exit(report.pass ? 0 : 1);
