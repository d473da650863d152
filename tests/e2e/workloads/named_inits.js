// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Resources made from distinct named functions of this script, for
// --js-stacks (e2e 150): each kind of init has one function of its own, so
// the innermost user frame of its creation stack is known.
'use strict';
const fs = require('fs');
const net = require('net');

const rounds = Number(process.argv[2] || 20);
// then "hot" stats (argv[3]): statOne called in a loop often enough that
// V8 optimizes it (and may inline it into hotLoop)
const hot = Number(process.argv[3] || 0);

function statOne(done) {
  fs.stat(__filename, done);
}

function readOne(done) {
  fs.readFile(__filename, done);
}

function timerOne(done) {
  setTimeout(done, 1);
}

function immediateOne(done) {
  setImmediate(done);
}

function connectOne(port, done) {
  const s = net.connect(port, '127.0.0.1', () => { s.end(); });
  s.on('close', () => done());
}

function listenOne(done) {
  const server = net.createServer((c) => c.end());
  server.listen(0, '127.0.0.1', () => done(server));
}

function round(port, i, done) {
  statOne(() => readOne(() => timerOne(() => immediateOne(() => connectOne(port, () => {
    if (i + 1 < rounds)
      round(port, i + 1, done);
    else
      done();
  })))));
}

function hotLoop(n, done) {
  let left = n;
  for (let i = 0; i < n; i++)
    statOne(() => { if (--left === 0) done(); });
}

function afterRounds(server) {
  const end = () => server.close(() => setTimeout(() => {}, 300));
  if (hot > 0)
    hotLoop(hot, end);
  else
    end();
}

listenOne((server) => {
  // the process stays 300 ms after the last init: js_stack names are read
  // from the live heap at the next drain (every 100 ms), not after exit
  round(server.address().port, 0, () => afterRounds(server));
});
