// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Every per-process entry in asyncscope's BPF maps (keys that start with a
// pid) must belong to a live process: the daemon frees a process's entries
// when it exits. Reads the maps with bpftool; exits 1 naming stale entries.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');

const PER_PROCESS = new Set(['agg_types', 'agg_ids', 'live_wraps', 'uv_objs', 'uv_next_id',
  'capture_pids', 'ignored_pids']);
const bpftool = (...args) => JSON.parse(execFileSync('bpftool', ['-j', ...args], { maxBuffer: 1 << 28 }));
const alive = (pid) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
};

let maps = 0, entries = 0;
const stale = [];
for (const m of bpftool('map', 'show')) {
  if (!PER_PROCESS.has(m.name)) continue;
  maps++;
  for (const e of bpftool('map', 'dump', 'id', String(m.id))) {
    const key = e.key.map((b) => parseInt(b, 16));
    const pid = key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24);
    entries++;
    if (!alive(pid)) stale.push(`${m.name}[pid ${pid}]`);
  }
}
if (!maps) {
  console.log('no asyncscope map found (is the daemon running?)');
  process.exit(1);
}
if (stale.length) {
  console.log(`${stale.length} entries of exited processes: ${stale.slice(0, 5).join(', ')}`);
  process.exit(1);
}
console.log(`${entries} entries in ${maps} per-process maps, all of live processes`);
