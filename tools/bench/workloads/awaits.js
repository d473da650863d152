// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// An async/await loop: N awaits (default 500000).
'use strict';
const N = Number(process.env.N || 500000);
async function f(i) { return i; }
require('./handshake')(async () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += await f(i);
  return N + (s < 0 ? 1 : 0);
});
