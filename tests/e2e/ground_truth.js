// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Reading what the checkers compare: JSON Lines captures, and the ground
// truth workloads/recorder.js writes, one file per thread
// (GT_PREFIX.<threadId>.jsonl).
'use strict';
const fs = require('fs');
const path = require('path');

function readJsonl(file) {
  const out = [];
  let lineno = 0;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    lineno++;
    if (!line) continue;
    try { out.push(JSON.parse(line)); } catch (e) {
      throw new Error(`${file}:${lineno}: ${e.message}`);
    }
  }
  return out;
}

// { events, threads }: every thread's events, and their 'thread' headers
function loadGroundTruth(prefix) {
  const dir = path.dirname(prefix), base = path.basename(prefix);
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(base + '.') && f.endsWith('.jsonl'));
  if (!files.length) throw new Error(`no ground-truth files ${prefix}.*.jsonl`);
  const events = [], threads = [];
  for (const f of files.sort()) {
    for (const e of readJsonl(path.join(dir, f))) {
      if (e.event === 'thread') threads.push(e);
      else events.push(e);
    }
  }
  if (!threads.length) throw new Error('ground truth has no thread header');
  return { events, threads };
}

// The async_hooks types of native resources: the binary's AsyncWrap
// providers, except PROMISE, which Node >= 16 tracks in JS.
function nativeTypes(threads) {
  const types = new Set(threads[0].providers);
  types.delete('PROMISE');
  return types;
}

module.exports = { readJsonl, loadGroundTruth, nativeTypes };
