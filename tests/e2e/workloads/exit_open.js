// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// process.exit() with destroys async_hooks never delivers: the main thread
// and a worker each open 3 TCP connections and make 3 fetch() calls to a
// local HTTP server (keep-alive sockets stay open); then the main thread
// closes its 3 connections and calls process.exit() from the last one's
// 'close' handler, before async_hooks hands the destroys of the first two
// to JS (it queues them for the next loop iteration), and the worker is
// torn down without running JS again.
'use strict';
const http = require('http');
const net = require('net');
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

async function connect(port) {
  const socks = [];
  for (let i = 0; i < 3; i++)
    socks.push(await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
    }));
  for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${port}/`)).text();
  return socks;
}

if (isMainThread) {
  const server = http.createServer((req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    new Worker(__filename, { workerData: port }).on('message', async () => {
      const socks = await connect(port);
      let open = socks.length;
      for (const s of socks) s.on('close', () => { if (--open === 0) process.exit(0); });
      for (const s of socks) s.destroy();
    });
  });
} else {
  connect(workerData).then(() => parentPort.postMessage('connected'));
}
