// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A workload dominated by JS-only resources: timers, setImmediate,
// process.nextTick, promises and async/await and
// AsyncResource.runInAsyncScope. Some of each do native work (fs.stat) in
// their callbacks or create native resources, so they are visible from
// native events; others only chain to further JS resources.
'use strict';
const fs = require('fs');
const { AsyncResource } = require('async_hooks');

const ROUNDS = Number(process.env.ROUNDS || 30);
const stat = () => new Promise((resolve) => fs.stat(__filename, resolve));

function timers(n, done) {
  let left = n;
  for (let i = 0; i < n; i++) {
    setTimeout(() => {
      if (i % 2 === 0) fs.stat(__filename, () => {});        // native child
      else setTimeout(() => fs.statSync(__filename), 1);        // JS child only
      if (--left === 0) setImmediate(done);
    }, i % 5);
  }
}

function immediates(n, done) {
  let left = n;
  for (let i = 0; i < n; i++) {
    setImmediate(() => {
      if (i % 3 === 0) fs.stat(__filename, () => {});
      process.nextTick(() => {
        if (i % 2 === 0) fs.stat(__filename, () => {});
        if (--left === 0) setTimeout(done, 5);
      });
    });
  }
}

async function awaits(n) {
  for (let i = 0; i < n; i++) {
    await stat();
    await Promise.resolve(i);
    if (i % 4 === 0) await new Promise((r) => setTimeout(r, 1));
  }
}

function resources(n, done) {
  const res = new AsyncResource('JOBQUEUE');
  let left = n;
  for (let i = 0; i < n; i++) {
    setTimeout(() => {
      res.runInAsyncScope(() => {
        fs.stat(__filename, () => {});
        process.nextTick(() => fs.stat(__filename, () => {}));
      });
      if (--left === 0) setTimeout(() => { res.emitDestroy(); done(); }, 5);
    }, 1);
  }
}

(async () => {
  for (let r = 0; r < 3; r++) {
    await new Promise((d) => timers(ROUNDS, d));
    await new Promise((d) => immediates(ROUNDS, d));
    await awaits(ROUNDS / 3);
    await new Promise((d) => resources(ROUNDS / 3, d));
  }
})();
