// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A small service and its client for the ci tests: REQS sequential HTTP
// requests; each request's handler stats a file and reads four files in
// parallel, then answers. Regressions are injected with environment
// variables, one at a time:
//   EXTRA_STAT=1  one more fs.stat per request           (a count rule)
//   LEAK=1        a socket opened and never closed       (the leaks rule)
//   TIMER_LEAK=1  a setInterval never cleared, doing nothing  (leaks, --js exact)
//   TIMER_LEAK=poll  ... one that stats a file each time      (leaks, default mode)
//   BUSY_MS=100   one handler busy-loops 100 ms          (max_callback)
//   SERIAL=1      the four reads chained, not parallel   (depth, queue delay)
// The process ends itself once the last request's sockets are closed, as a
// test suite would, leaving the server listening.
'use strict';
const http = require('http');
const fs = require('fs');
const net = require('net');

const REQS = Number(process.env.REQS || 40);
const files = [__filename, '/etc/hostname', '/etc/passwd', '/etc/os-release'];
const env = (k) => process.env[k] && process.env[k] !== '0';

function readAll(done) {
  if (env('SERIAL')) {
    let i = 0;
    const next = () => (i === files.length ? done() : fs.readFile(files[i++], next));
    return next();
  }
  let left = files.length;
  for (const f of files) fs.readFile(f, () => --left || done());
}

// Sockets of both ends, so that the process ends only once every one the
// requests used is closed: what is alive at exit is then the same every run.
const open = new Set();
let finishing = false;
const track = (socket) => {
  open.add(socket);
  socket.on('close', () => {
    open.delete(socket);
    if (finishing && !open.size) setImmediate(() => process.exit(0));
  });
};
let leakPending = false;

let served = 0;
const server = http.createServer((req, res) => {
  served++;
  if (Number(process.env.BUSY_MS) && served === 10) {
    const until = Date.now() + Number(process.env.BUSY_MS);
    while (Date.now() < until);
  }
  fs.stat(__filename, () => {
    const answer = () => readAll(() => res.end('ok\n'));
    if (env('EXTRA_STAT')) fs.stat(__dirname, answer);
    else answer();
  });
});
server.on('connection', (socket) => {
  if (leakPending) leakPending = false; // the leaked connection's server end
  else track(socket);
});

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  const agent = new http.Agent({ keepAlive: false });
  // never cleared
  if (process.env.TIMER_LEAK === 'poll') setInterval(() => fs.stat(__filename, () => {}), 5);
  else if (env('TIMER_LEAK')) setInterval(() => {}, 5);
  let n = 0;
  const one = () => {
    if (n++ === REQS) {
      // what a test runner does when the suite is over; the server is left
      // listening (the same in every run)
      finishing = true;
      if (!open.size) setImmediate(() => process.exit(0));
      return;
    }
    const req = http.get({ port, host: '127.0.0.1', agent, path: '/' }, (res) => {
      res.resume();
      res.on('end', one);
    });
    req.on('socket', track);
  };
  if (env('LEAK')) {
    leakPending = true;
    net.connect(port, '127.0.0.1', one); // never closed
  } else {
    one();
  }
});
