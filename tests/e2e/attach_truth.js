// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Checks captures taken with `trace -p` against the target's in-process
// recorder (workloads/recorder.js): no JS-layer init may name a resource
// that async_hooks says is native (an AsyncWrap provider type), matched on
// pid, tid and id.
//
//   node attach_truth.js GT_PREFIX OBSERVED.jsonl...
//
// Prints one line per capture (JS inits, those of a JS resource with the
// type async_hooks gives, those naming native resources, unmatched afters)
// and exits 1 if any JS init names a native resource, or none is right (the
// JS layer must still find the workload's timeouts).
'use strict';
const path = require('path');
const { readJsonl, loadGroundTruth, nativeTypes } = require('./ground_truth.js');

const [prefix, ...captures] = process.argv.slice(2);
const { events: gt, threads } = loadGroundTruth(prefix);
const providers = nativeTypes(threads);
const key = (e) => `${e.pid}:${e.tid}:${e.id}`;
const native = new Map(gt.filter((e) => e.event === 'init' && providers.has(e.type)).map((e) => [key(e), e.type]));
const jsTypes = new Map(gt.filter((e) => e.event === 'init' && !providers.has(e.type)).map((e) => [key(e), e.type]));

let bad = 0, right = 0;
for (const f of captures) {
  const ev = readJsonl(f);
  const js = ev.filter((e) => e.layer === 'js' && e.event === 'init');
  const wrong = js.filter((e) => native.has(key(e)));
  const unmatched = ev.filter((e) => e.event === 'after' && e.unmatched).length;
  const typed = js.filter((e) => jsTypes.get(key(e)) === e.type).length;
  console.log(`${path.basename(f)}: ${js.length} JS inits (${typed} JS resources of that type), ` +
    `${wrong.length} of native resources` +
    `${wrong.length ? ' (' + wrong.map((e) => `${e.id} ${e.type} is ${native.get(key(e))}`).join(', ') + ')' : ''}` +
    `, ${unmatched} unmatched afters`);
  bad += wrong.length;
  right += typed;
}
console.log(`${bad} JS inits of native resources in ${captures.length} captures; ${right} JS inits right`);
process.exit(bad || !right ? 1 : 0);
