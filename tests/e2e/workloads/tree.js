// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A process tree for trace -- COMMAND's follow mode. Every process does the
// same bounded native work (fs, a timer, a loopback TCP round trip, zlib):
//   node tree.js fork      a parent and one child_process.fork child
//   node tree.js cluster   a cluster primary and 2 workers (their server
//                          handle is the primary's, passed over IPC)
//   node tree.js spawn N   N quick children (one fs.stat each), 8 at a time
'use strict';
const fs = require('fs');
const net = require('net');
const zlib = require('zlib');
const cluster = require('cluster');
const { fork, spawn } = require('child_process');

function work(done) {
  fs.readFile(__filename, (err, buf) => {
    if (err) throw err;
    setTimeout(() => zlib.gzip(buf, () => {
      const srv = net.createServer((s) => s.end('pong'));
      srv.listen(0, '127.0.0.1', () => {
        const c = net.connect(srv.address().port, '127.0.0.1');
        c.on('data', () => {});
        // the recorder sees a destroy when node drains its destroy queue,
        // which an exit right after would skip: let it drain first
        c.on('end', () => srv.close(() => setTimeout(done, 20)));
      });
    }), 5);
  });
}

const mode = process.argv[2];
if (mode === 'child') {
  work(() => {});
} else if (mode === 'fork') {
  // no process.exit: destroys still queued would reach the tracer, not the recorder
  work(() => fork(__filename, ['child']).on('exit', (code) => { process.exitCode = code; }));
} else if (mode === 'cluster') {
  if (cluster.isPrimary) {
    work(() => { for (let i = 0; i < 2; i++) cluster.fork(); });
  } else {
    work(() => process.disconnect());
  }
} else if (mode === 'spawn') {
  let left = Number(process.argv[3]), running = 0;
  const next = () => {
    while (running < 8 && left > 0) {
      left--;
      running++;
      spawn(process.execPath, ['-e', "require('fs').stat('/', () => {})"], { stdio: 'ignore' }).on('exit', () => {
        running--;
        next();
      });
    }
  };
  next();
} else {
  throw new Error(`unknown mode ${mode}`);
}
