// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The daemon test's node workload. Prints "ready PID"; at the first SIGUSR2
// runs a fixed mix (fs.stat chain, HTTP over TCP, zlib) with an async_hooks
// hook counting init/before/after/destroy per type, the ground truth the
// daemon's /metrics deltas must equal, and prints "done"; at the second it
// prints "counts JSON"; then idles until killed (so its series are still
// there to be scraped). Signals, not stdin: reading stdin would add pipe
// callbacks of its own to the window being compared.
'use strict';
const ah = require('async_hooks');
const fs = require('fs');
const http = require('http');
const zlib = require('zlib');

const N_STAT = +(process.argv[2] || 40);
const N_HTTP = +(process.argv[3] || 10);
const counts = {};
const typeOf = new Map();
const bump = (type, k) => {
  (counts[type] = counts[type] || [0, 0, 0, 0])[k]++;
};
const hook = ah.createHook({
  init(id, type) {
    typeOf.set(id, type);
    bump(type, 0);
  },
  before(id) {
    if (typeOf.has(id)) bump(typeOf.get(id), 1);
  },
  after(id) {
    if (typeOf.has(id)) bump(typeOf.get(id), 2);
  },
  destroy(id) {
    if (typeOf.has(id)) bump(typeOf.get(id), 3);
    typeOf.delete(id);
  },
});

function statChain(n, done) {
  let i = 0;
  const next = () => (i++ < n ? fs.stat(__filename, next) : done());
  next();
}

function httpRounds(n, done) {
  const server = http.createServer((req, res) => res.end('ok'));
  server.listen(0, '127.0.0.1', () => {
    const port = server.address().port;
    let left = n;
    const one = () => {
      http.get({ host: '127.0.0.1', port, agent: false }, (res) => {
        res.resume();
        res.on('end', () => (--left > 0 ? one() : server.close(done)));
      });
    };
    one();
  });
}

const busy = (ms) => {
  const end = process.hrtime.bigint() + BigInt(ms) * 1000000n;
  while (process.hrtime.bigint() < end);
};

// Known durations for the histograms: 3 fs.stat callbacks of 20 ms each;
// each submits the next request first, so that one waits behind it: 3
// queue delays of >= 20 ms (the last request is the one ending the phase).
function slowPhase(done) {
  let left = 3;
  const next = () => fs.stat(__filename, () => {
    if (--left > 0) next();
    else fs.stat(__filename, done);
    busy(20);
  });
  next();
}

function work() {
  hook.enable();
  statChain(N_STAT, () =>
    httpRounds(N_HTTP, () =>
      zlib.gzip(Buffer.alloc(1 << 16, 7), () =>
        slowPhase(() => {
          // destroys are reported on a later turn: let them all arrive
          setTimeout(() => process.stdout.write('done\n'), 300);
        }))));
}

let signals = 0;
process.on('SIGUSR2', () => {
  if (++signals === 1) return work();
  // the hook stays on until the daemon has been scraped after "done"
  hook.disable();
  process.stdout.write('counts ' + JSON.stringify(counts) + '\n');
});
setInterval(() => {}, 1 << 30);
process.stdout.write('ready ' + process.pid + '\n');
