// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// An HTTP server answering "hello" on 127.0.0.1; prints "ready <pid> <port>".
// Exits on SIGTERM, or after two minutes whatever happens.
'use strict';
const http = require('http');
const server = http.createServer((req, res) => res.end('hello'));
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${process.pid} ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), 120000).unref();
