// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// fs.stat with 32 in flight (N total, default 40000).
'use strict';
const fs = require('fs');
const N = Number(process.env.N || 40000), INFLIGHT = 32;
require('./handshake')(() => new Promise((resolve) => {
  let started = 0, done = 0;
  const next = () => {
    if (started === N) return;
    started++;
    fs.stat('/tmp', () => { if (++done === N) resolve(N); else next(); });
  };
  for (let i = 0; i < INFLIGHT; i++) next();
}));
