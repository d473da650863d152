// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A program that leaks: opens 3 TCP servers and 5 connections to one of them
// and exits without closing anything. Ground truth for `leaks`: in-process
// async_hooks (init minus destroy) writes what is alive at exit, by type, to
// argv[2].
'use strict';
const net = require('net');
const fs = require('fs');
const ah = require('async_hooks');
const alive = new Map();
ah.createHook({
  init(id, type) { alive.set(id, type); },
  destroy(id) { alive.delete(id); },
}).enable();
const servers = [];
let pending = 3 + 5;
function done() {
  if (--pending) return;
  // destroys reach JS hooks through a queue drained after the callback:
  // let it drain, so the in-process view is final before exiting
  setTimeout(finish, 100);
}
function finish() {
  const byType = {};
  for (const t of alive.values()) byType[t] = (byType[t] || 0) + 1;
  fs.writeFileSync(process.argv[2], JSON.stringify(byType));
  process.exit(0);
}
for (let i = 0; i < 3; i++) {
  const s = net.createServer(() => {}).listen(0, '127.0.0.1', () => {
    if (i === 0)
      for (let c = 0; c < 5; c++) net.connect(s.address().port, '127.0.0.1', done);
    done();
  });
  servers.push(s);
}
