// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Timer, setImmediate and nextTick churn: ROUNDS rounds of 1000 of each.
'use strict';
const ROUNDS = Number(process.env.ROUNDS || 100);
require('./handshake')(async () => {
  for (let r = 0; r < ROUNDS; r++) {
    await new Promise((resolve) => {
      let left = 3000;
      const done = () => { if (--left === 0) resolve(); };
      for (let i = 0; i < 1000; i++) {
        setTimeout(done, 0);
        setImmediate(done);
        process.nextTick(done);
      }
    });
  }
  return ROUNDS * 3000;
});
