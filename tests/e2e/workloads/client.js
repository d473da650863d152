// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Sends N sequential GET requests over one keep-alive connection:
//   node client.js PORT N
'use strict';
const http = require('http');

const [port, n] = [Number(process.argv[2]), Number(process.argv[3] || 10)];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let done = 0;
(function next() {
  if (done === n) { agent.destroy(); return; }
  http.get({ host: '127.0.0.1', port, path: `/${done}`, agent }, (res) => {
    res.resume();
    res.on('end', () => { done++; next(); });
  }).on('error', (e) => { console.error(e.message); process.exit(1); });
})();
