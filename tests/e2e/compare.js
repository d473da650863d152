// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Compares what asyncscope observed from outside with what async_hooks
// reported inside the same process (workloads/recorder.js).
//
//   node compare.js OBSERVED.jsonl GT_PREFIX [--json OUT] [--min-init 99.5] [--pid PID] ...
//
// --pid compares one process of a followed tree: its events against its own
// recorder's files (GT_PREFIX.PID.*).
//
// Native events are those of resources whose async_hooks type is one of the
// binary's AsyncWrap providers (except PROMISE, which Node >= 16 tracks in
// JS). Per kind it reports the share of ground-truth native events the
// tracer matched (init on tid+id+type+trigger, exec separately; before,
// after, destroy on tid+id, as multisets) and the observed native events
// with no counterpart, and requires the per-thread order of native inits and
// of native before/after to be the same. Destroys the tracer marks "at_exit" (environment
// teardown, which JS never sees) are counted and reported, not held against
// the tracer, but none of them may be one async_hooks delivered, and no
// unmarked destroy may be one it did not deliver. Exits 1 when a threshold
// is missed.
'use strict';
const fs = require('fs');
const { readJsonl, loadGroundTruth, nativeTypes } = require('./ground_truth.js');

function parseArgs(argv) {
  const a = { obs: argv[0], gt: argv[1], json: null, pid: null,
    minInit: 99.5, minCb: 99.5, maxExtra: 0.1, minExec: 99.5 };
  for (let i = 2; i < argv.length; i++) {
    const k = argv[i], v = argv[++i];
    if (k === '--json') a.json = v;
    else if (k === '--min-init') a.minInit = Number(v);
    else if (k === '--min-cb') a.minCb = Number(v);
    else if (k === '--max-extra') a.maxExtra = Number(v);
    else if (k === '--min-exec') a.minExec = Number(v);
    else if (k === '--pid') a.pid = Number(v);
    else throw new Error(`unknown option ${k}`);
  }
  if (!a.obs || !a.gt) throw new Error('usage: compare.js OBSERVED.jsonl GT_PREFIX [options]');
  return a;
}

// Multiset of keys with counts.
function bag(list, keyOf) {
  const m = new Map();
  for (const e of list) { const k = keyOf(e); m.set(k, (m.get(k) || 0) + 1); }
  return m;
}

function matchBags(gt, obs) {
  let matched = 0;
  for (const [k, n] of gt) matched += Math.min(n, obs.get(k) || 0);
  let gtTotal = 0, obsTotal = 0;
  for (const n of gt.values()) gtTotal += n;
  for (const n of obs.values()) obsTotal += n;
  return { gt: gtTotal, obs: obsTotal, matched, missing: gtTotal - matched, extra: obsTotal - matched };
}

function pct(a, b) { return b === 0 ? 100 : (100 * a) / b; }

function main() {
  const a = parseArgs(process.argv.slice(2));
  const { events: gtAll, threads } = loadGroundTruth(a.pid ? `${a.gt}.${a.pid}` : a.gt);
  // node-layer events only: other layers (uv, js) number their own ids
  if (!threads.length) throw new Error('ground truth has no thread header');
  // the processes that recorded (a followed tree may hold others, e.g. a shell)
  const gtPids = new Set(threads.map((t) => t.pid));
  const obsAll = readJsonl(a.obs).filter((e) => e.event !== 'summary' && e.layer === 'node' &&
    gtPids.has(e.pid));
  const summary = readJsonl(a.obs).find((e) => e.event === 'summary') || {};
  const providers = nativeTypes(threads);
  const isNativeType = (t) => providers.has(t);

  // ground-truth native resources, per thread
  const key = (e) => `${e.tid}:${e.id}`;
  const gtNative = new Set(gtAll.filter((e) => e.event === 'init' && isNativeType(e.type)).map(key));
  // destroys async_hooks delivered: an at_exit mark on one of them is wrong
  const gtDestroyed = new Set(gtAll.filter((e) => e.event === 'destroy').map(key));
  const atExitDelivered = obsAll.filter((e) => e.event === 'destroy' && e.at_exit && gtDestroyed.has(key(e)));
  // resources the tracer saw created before the thread's recorder was enabled
  const hookStart = new Map(threads.map((t) => [t.tid, BigInt(t.ts)]));
  const preHook = new Set(obsAll.filter((e) => e.event === 'init' && hookStart.has(e.tid) &&
    BigInt(e.ts) < hookStart.get(e.tid)).map(key));
  const preHookEvents = obsAll.filter((e) => preHook.has(key(e))).length;
  const obsNode = obsAll.filter((e) => !preHook.has(key(e)));
  const obsInitKeys = new Set(obsNode.filter((e) => e.event === 'init').map(key));

  const results = {};
  // init: id, type and trigger must all agree
  const initKey = (e) => `${e.tid}:${e.id}:${e.type}:${e.trigger}`;
  results.init = matchBags(
    bag(gtAll.filter((e) => e.event === 'init' && isNativeType(e.type)), initKey),
    bag(obsNode.filter((e) => e.event === 'init'), initKey));
  const execKey = (e) => `${e.tid}:${e.id}:${e.exec}`;
  results.exec = matchBags(
    bag(gtAll.filter((e) => e.event === 'init' && isNativeType(e.type)), execKey),
    bag(obsNode.filter((e) => e.event === 'init'), execKey));

  // callbacks and destroys of native resources: the ground truth restricted to
  // its native ids, the observation restricted to ids it saw or GT calls native
  let teardown = 0;
  for (const kind of ['before', 'after', 'destroy']) {
    const g = gtAll.filter((e) => e.event === kind && gtNative.has(key(e)));
    const o = obsNode.filter((e) => {
      if (e.event !== kind) return false;
      if (kind === 'destroy' && e.at_exit) {
        teardown++;
        return false;
      }
      return true;
    });
    results[kind] = matchBags(bag(g, key), bag(o, key));
  }

  // order: per thread, the sequence of native before/after ids must be the same
  const seq = (list, tid) => list.filter((e) => e.tid === tid && (e.event === 'before' || e.event === 'after') &&
    gtNative.has(key(e))).map((e) => `${e.event[0]}${e.id}`);
  let orderOk = true;
  const tids = [...new Set(threads.map((t) => t.tid))];
  for (const tid of tids) {
    const g = seq(gtAll, tid), o = seq(obsNode, tid);
    if (g.join(',') !== o.join(',')) {
      orderOk = false;
      let i = 0;
      while (i < g.length && g[i] === o[i]) i++;
      console.error(`order differs on tid ${tid} at #${i}: gt ${g.slice(i, i + 6)} obs ${o.slice(i, i + 6)}`);
    }
  }
  // the init sequence too
  const iseq = (list, tid) => list.filter((e) => e.tid === tid && e.event === 'init' && gtNative.has(key(e))).map((e) => e.id);
  let initOrderOk = true;
  for (const tid of tids) {
    const g = iseq(gtAll, tid), o = iseq(obsNode, tid);
    if (g.join(',') !== o.join(',')) {
      initOrderOk = false;
      let i = 0;
      while (i < g.length && g[i] === o[i]) i++;
      console.error(`init order differs on tid ${tid} at #${i}: gt ${g.slice(i, i + 6)} obs ${o.slice(i, i + 6)}`);
    }
  }

  // extras: observed native events the ground truth does not have
  let obsTotal = 0, extraTotal = 0;
  for (const kind of ['init', 'before', 'after', 'destroy']) {
    obsTotal += results[kind].obs;
    extraTotal += results[kind].extra;
  }

  const report = {
    version: threads[0].version,
    threads: tids.length,
    types: [...new Set(gtAll.filter((e) => e.event === 'init' && isNativeType(e.type)).map((e) => e.type))].sort(),
    results,
    teardown_destroys_excluded: teardown,
    teardown_destroys_delivered: atExitDelivered.length,
    pre_hook_resources_excluded: preHook.size,
    pre_hook_events_excluded: preHookEvents,
    extra_pct: pct(extraTotal, obsTotal),
    order_before_after_identical: orderOk,
    order_init_identical: initOrderOk,
    lost: summary.lost || 0,
    js_only_inits_in_gt: gtAll.filter((e) => e.event === 'init' && !isNativeType(e.type)).length,
  };
  const fails = [];
  if (pct(results.init.matched, results.init.gt) < a.minInit) fails.push('init');
  if (pct(results.exec.matched, results.exec.gt) < a.minExec) fails.push('exec');
  for (const k of ['before', 'after', 'destroy'])
    if (pct(results[k].matched, results[k].gt) < a.minCb) fails.push(k);
  if (report.extra_pct > a.maxExtra) fails.push('extra');
  if (report.lost) fails.push('lost');
  // at_exit must be exact: on no destroy async_hooks delivered, and on
  // every one it did not (an unmarked one would be a destroy extra)
  if (atExitDelivered.length) fails.push('at_exit');
  if (results.destroy.extra) fails.push('destroy-extra');
  if (results.init.gt === 0) fails.push('no-ground-truth');
  if (!orderOk) fails.push('order');
  if (!initOrderOk) fails.push('init-order');
  report.pass = fails.length === 0;
  report.failed = fails;

  console.log(`node ${report.version}: ${report.threads} threads, native types: ${report.types.join(' ')}`);
  console.log('kind      ground-truth  observed  matched   recall   extra');
  for (const k of ['init', 'exec', 'before', 'after', 'destroy']) {
    const r = results[k];
    console.log(`${k.padEnd(9)} ${String(r.gt).padStart(12)} ${String(r.obs).padStart(9)} ${String(r.matched).padStart(8)}  ${pct(r.matched, r.gt).toFixed(2).padStart(6)}% ${String(r.extra).padStart(7)}`);
  }
  for (const e of atExitDelivered) console.error(`destroy ${e.tid}:${e.id} marked at_exit, yet async_hooks delivered it`);
  console.log(`extra native events: ${report.extra_pct.toFixed(3)}% of observed; excluded: ${teardown} teardown destroys (at_exit), ` +
    `${preHookEvents} events of ${preHook.size} resources created before the recorder's hook`);
  console.log(`order identical: before/after ${orderOk}, init ${initOrderOk}; lost ${report.lost}; JS-only inits in GT: ${report.js_only_inits_in_gt}`);
  console.log(report.pass ? 'PASS' : `FAIL: ${fails.join(', ')}`);
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(report, null, 2) + '\n');
  process.exit(report.pass ? 0 : 1);
}

try { main(); } catch (e) { console.error(`compare: ${e.message}`); process.exit(2); }
