// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Ground truth for the fidelity tests: an in-process async_hooks recorder,
// preloaded with `node -r`, that writes the same JSONL fields asyncscope
// does. Each thread (main and workers) of each process writes its own file,
// $ASYNCSCOPE_GT.<pid>.<threadId>.jsonl (a followed tree has many processes), synchronously, so nothing it does creates
// an async resource of its own. Timestamps are process.hrtime (CLOCK_MONOTONIC,
// the clock BPF uses) so events can be placed against the tracer's.
'use strict';
const fs = require('fs');
const async_hooks = require('async_hooks');
const { threadId, isMainThread } = require('worker_threads');

const base = process.env.ASYNCSCOPE_GT;
if (base) {
  const fd = fs.openSync(`${base}.${process.pid}.${threadId}.jsonl`, 'w');
  // the OS thread id, as the tracer reports it: /proc/thread-self -> <pid>/task/<tid>
  const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  const pid = process.pid;
  const now = () => process.hrtime.bigint().toString();
  const withStacks = process.env.ASYNCSCOPE_GT_STACKS === '1';
  if (withStacks)
    Error.stackTraceLimit = 64;
  const write = (obj) => fs.writeSync(fd, JSON.stringify(obj) + '\n');

  write({ event: 'thread', ts: now(), pid, tid, threadId, isMainThread,
    providers: Object.keys(async_hooks.asyncWrapProviders || {}), version: process.version });
  async_hooks.createHook({
    init(id, type, trigger) {
      const rec = { ts: now(), pid, tid, event: 'init', id, type, trigger,
        exec: async_hooks.executionAsyncId() };
      // ASYNCSCOPE_GT_STACKS=1: the JS stack at the init, as V8 reports it
      // (e2e 150 compares --js-stacks with it); this frame is the innermost
      if (withStacks)
        rec.stack = new Error().stack;
      write(rec);
    },
    before(id) { write({ ts: now(), pid, tid, event: 'before', id }); },
    after(id) { write({ ts: now(), pid, tid, event: 'after', id }); },
    destroy(id) { write({ ts: now(), pid, tid, event: 'destroy', id }); },
    promiseResolve(id) { write({ ts: now(), pid, tid, event: 'promiseResolve', id }); },
  }).enable();
  process.on('exit', () => { write({ ts: now(), pid, tid, event: 'exit' }); });
}
