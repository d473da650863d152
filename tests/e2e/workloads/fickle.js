// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A target for the bad-input tests: an fs.stat every 20 ms, so a trace has
// events; its pid written to argv[2] once it runs (its signal handlers in).
//   argv[3]  exit after this many ms (none or -1: run until killed)
//   argv[4]  "deaf": ignore SIGTERM and SIGINT
'use strict';
const fs = require('fs');

const exitAfter = +(process.argv[3] ?? -1);
if (process.argv[4] === 'deaf') {
  process.on('SIGTERM', () => {});
  process.on('SIGINT', () => {});
}
setInterval(() => fs.stat(__filename, () => {}), 20);
if (exitAfter >= 0) setTimeout(() => process.exit(0), exitAfter);
fs.writeFileSync(process.argv[2], String(process.pid));
