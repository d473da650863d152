// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A long-running HTTP service to attach to. It writes a handshake file
// (argv[2]) once listening: {"pid", "port", "server_async_id"} - the last is
// the TCPSERVERWRAP's own async id, the ground truth for the placeholder the
// tracer shows for a resource created before attach. Exits on SIGTERM/SIGINT
// or after argv[3] seconds (default 60), should the test die first.
'use strict';
const fs = require('fs');
const http = require('http');

const handshake = process.argv[2];
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    // some native work per request, as a real handler would do
    fs.stat(__filename, () => res.end(`ok ${req.url}\n`));
  });
});
server.listen(0, '127.0.0.1', () => {
  const info = { pid: process.pid, port: server.address().port,
    server_async_id: server._handle.getAsyncId() };
  fs.writeFileSync(handshake + '.tmp', JSON.stringify(info));
  fs.renameSync(handshake + '.tmp', handshake);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, 1000 * (Number(process.argv[3]) || 60)).unref();
