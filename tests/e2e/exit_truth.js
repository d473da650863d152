// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Checks the "at_exit" mark on destroys against the in-process recorder
// (workloads/recorder.js): every node-layer destroy async_hooks never
// delivered must carry it, and none it delivered may (pid, tid, id).
//
//   node exit_truth.js OBSERVED.jsonl GT_PREFIX
//
// Prints the counts and each wrong destroy; exits 1 on any, or when no
// destroy is marked at all (the workload must exercise the mark).
'use strict';
const { readJsonl, loadGroundTruth } = require('./ground_truth.js');

const [obsFile, prefix] = process.argv.slice(2);
const { events: gt } = loadGroundTruth(prefix);
const key = (e) => `${e.pid}:${e.tid}:${e.id}`;
const delivered = new Set(gt.filter((e) => e.event === 'destroy').map(key));
const types = new Map(gt.filter((e) => e.event === 'init').map((e) => [key(e), e.type]));
const destroys = readJsonl(obsFile).filter((e) => e.layer === 'node' && e.event === 'destroy');

const what = (e) => `${e.tid}:${e.id} ${types.get(key(e)) || '(created before the recorder)'}`;
const unmarked = destroys.filter((e) => !e.at_exit && !delivered.has(key(e)));
const wrongly = destroys.filter((e) => e.at_exit && delivered.has(key(e)));
const marked = destroys.filter((e) => e.at_exit);
console.log(`${destroys.length} destroys: ${destroys.length - marked.length} delivered by async_hooks, ` +
  `${marked.length} marked at_exit (${marked.map(what).join(', ')})`);
for (const e of unmarked) console.log(`not delivered, not marked: ${what(e)}`);
for (const e of wrongly) console.log(`marked, yet delivered: ${what(e)}`);
process.exit(unmarked.length || wrongly.length || !marked.length ? 1 : 0);
