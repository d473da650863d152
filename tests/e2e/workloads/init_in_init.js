// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// An app whose own async_hooks init hook creates a native resource: for
// each of the first few FSREQCALLBACKs, an fs.stat made inside init. So
// init of the outer request (id N) comes, in async_hooks, before the init
// of the stat its hook makes (N+1), and an observer has to keep that order.
// Run with the recorder preloaded (-r recorder.js), whose hook comes first.
'use strict';
const async_hooks = require('async_hooks');
const fs = require('fs');

const OUTER = 5;
let inHook = false, nested = 0, pending = 0;
const done = () => { if (--pending === 0) process.exitCode = 0; };

async_hooks.createHook({
  init(id, type) {
    if (inHook || type !== 'FSREQCALLBACK' || nested >= OUTER) return;
    inHook = true;
    nested++;
    pending++;
    fs.stat(__filename, done); // a new FSREQCALLBACK, inside this init
    inHook = false;
  },
}).enable();

// sequential, so each outer stat's init hook runs from a callback of the last
let left = OUTER;
const next = () => {
  if (left-- === 0) return;
  pending++;
  fs.stat(__dirname, () => { done(); next(); });
};
next();
