// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Benchmark workloads print "ready <pid>" and wait for a line on stdin, so
// a tracer can attach first (-p); then they time only their own work and
// print one JSON line: {"ms": elapsed, "ops": operations}.
'use strict';
module.exports = function run(work) {
  process.stdout.write(`ready ${process.pid}\n`);
  process.stdin.once('data', async () => {
    process.stdin.pause();
    process.stdin.unref();
    const t0 = process.hrtime.bigint();
    const ops = await work();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    process.stdout.write(JSON.stringify({ ms, ops }) + '\n');
  });
};
