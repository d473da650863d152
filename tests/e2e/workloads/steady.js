// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The sampled daemon test's workload: native resources at fixed rates, for
// as long as it runs, so any stretch of time holds the same event rates.
//   fs.stat                      200/s  FSREQCALLBACK (short-lived)
//   TCP ping-pong on one socket  100/s  TCPWRAP reads both ways (long-lived:
//                                       made once, at start)
//   HTTP GET, keep-alive agent    50/s  HTTP parsers (one per connection,
//                                       long-lived), TCPWRAP, WRITEWRAP...
// Prints "ready PID" once the connections are up; runs until killed.
'use strict';
const fs = require('fs');
const http = require('http');
const net = require('net');

const echo = net.createServer((s) => s.on('data', (d) => s.write(d)));
const web = http.createServer((req, res) => res.end('ok'));
echo.listen(0, '127.0.0.1', () => web.listen(0, '127.0.0.1', start));

function start() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  const sock = net.connect(echo.address().port, '127.0.0.1', () => {
    setInterval(() => fs.stat(__filename, () => {}), 5);
    setInterval(() => sock.write('p'), 10);
    setInterval(() => {
      http.get({ host: '127.0.0.1', port: web.address().port, agent }, (res) => res.resume());
    }, 20);
    setTimeout(() => process.stdout.write('ready ' + process.pid + '\n'), 200);
  });
  sock.on('data', () => {});
}
