// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Checks the links between the node and uv layers in one capture
// (`trace --layers node,uv`): a uv object's "wrap" is the asyncId of the
// node AsyncWrap whose handle or request it is.
//
//   node node_uv_link.js CAPTURE.jsonl
//
// 1. Every link points at a node resource of the same thread whose type owns
//    that kind of uv object (uv_fs <-> FSREQCALLBACK, ...): no wrong links.
// 2. Every node resource of a type that gets its own uv object at creation is
//    linked, except re-inits of a reused wrap (a keep-alive socket given a new
//    id: Node emits destroy(reset) and init for the same handle), and
//    resources whose uv object is a uv_work: the next uv init of their
//    thread is one (node 26 runs some fs calls as ThreadPoolWork, which never
//    sets its uv_work_t's data, so no link can be made: docs/limits.md).
// 3. At least five kinds of pairs were seen, so the check is not vacuous.
// Resources are named by (pid, tid, layer, id): uv ids are asyncscope's own
// and may equal an asyncId; `wrap` is an asyncId, so it names a node one.
'use strict';
const fs = require('fs');

const OWNS = {
  uv_fs: ['FSREQCALLBACK', 'FSREQPROMISE', 'FILEHANDLECLOSEREQ', 'STATWATCHER'],
  uv_tcp: ['TCPWRAP', 'TCPSERVERWRAP'],
  uv_pipe: ['PIPEWRAP', 'PIPESERVERWRAP'],
  uv_connect: ['TCPCONNECTWRAP', 'PIPECONNECTWRAP'],
  uv_shutdown: ['SHUTDOWNWRAP'],
  uv_write: ['WRITEWRAP'],
  uv_getaddrinfo: ['GETADDRINFOREQWRAP'],
  uv_getnameinfo: ['GETNAMEINFOREQWRAP'],
  uv_process: ['PROCESSWRAP'],
  uv_udp: ['UDPWRAP'],
  uv_udp_send: ['UDPSENDWRAP'],
  uv_tty: ['TTYWRAP'],
  uv_signal: ['SIGNALWRAP'],
  uv_fs_event: ['FSEVENTWRAP'],
  uv_async: ['MESSAGEPORT', 'WORKER'],
};
// node types whose uv object is made with the resource, always
const ALWAYS = ['FSREQCALLBACK', 'FSREQPROMISE', 'FILEHANDLECLOSEREQ', 'TCPWRAP', 'TCPSERVERWRAP',
  'TCPCONNECTWRAP', 'SHUTDOWNWRAP', 'GETADDRINFOREQWRAP', 'PIPEWRAP', 'PROCESSWRAP'];

const lines = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const key = (e, layer, id) => `${e.pid}:${e.tid}:${layer}:${id}`;
const nodeInit = new Map();
const reinit = new Set();
const ownsWork = new Set();
const lastNode = new Map(); // thread -> previous node event
const awaitingUv = new Map(); // thread -> node inits not yet followed by a uv init
// A re-init follows its reset destroy in time (the same probe makes both),
// but a live session writes a node destroy once the loop settles at_exit,
// so in the stream it may come after: each thread's node events are taken
// in time order, a destroy before an init of the same instant.
const byTime = lines.filter((e) => e.layer === 'node').map((e, i) => [e, i]);
byTime.sort(([a, i], [b, j]) => `${a.pid}:${a.tid}`.localeCompare(`${b.pid}:${b.tid}`) ||
  Number(BigInt(a.ts) - BigInt(b.ts)) || (b.event === 'destroy') - (a.event === 'destroy') || i - j);
for (const [e] of byTime) {
  const t = `${e.pid}:${e.tid}`;
  if (e.event === 'init') {
    const prev = lastNode.get(t);
    if (prev && prev.event === 'destroy' && prev.reset) reinit.add(key(e, 'node', e.id));
  }
  lastNode.set(t, e);
}
for (const e of lines) {
  const t = `${e.pid}:${e.tid}`;
  if (e.layer === 'uv' && e.event === 'init') {
    if (e.type === 'uv_work') for (const k of awaitingUv.get(t) || []) ownsWork.add(k);
    awaitingUv.delete(t);
  }
  if (e.layer !== 'node') continue;
  if (e.event === 'init') awaitingUv.set(t, [...(awaitingUv.get(t) || []), key(e, 'node', e.id)]);
  if (e.event === 'init') nodeInit.set(key(e, 'node', e.id), e);
}

let links = 0, wrong = 0;
const linked = new Set(), pairs = new Map(), problems = [];
for (const e of lines) {
  if (e.layer !== 'uv' || e.event !== 'init' || e.wrap == null) continue;
  links++;
  const n = nodeInit.get(key(e, 'node', e.wrap));
  if (!n || !(OWNS[e.type] || []).includes(n.type)) {
    wrong++;
    if (problems.length < 5) problems.push(`${e.type} ${e.obj} -> ${n ? n.type : 'no node init'} ${e.wrap}`);
    continue;
  }
  linked.add(key(n, 'node', n.id));
  const p = `${e.type}<->${n.type}`;
  pairs.set(p, (pairs.get(p) || 0) + 1);
}
let expected = 0, missing = 0, workOwners = 0;
const missingTypes = new Map();
for (const [k, n] of nodeInit) {
  if (!ALWAYS.includes(n.type) || reinit.has(k)) continue;
  if (!linked.has(k) && ownsWork.has(k)) {
    workOwners++;
    continue;
  }
  expected++;
  if (!linked.has(k)) {
    missing++;
    missingTypes.set(n.type, (missingTypes.get(n.type) || 0) + 1);
  }
}
const pairText = [...pairs].map(([p, c]) => `${p} ${c}`).join(', ');
console.log(`links: ${links}, wrong: ${wrong}; ${pairText}`);
console.log(`node resources linked: ${expected - missing}/${expected} (re-inits of reused wraps: ${reinit.size}; ` +
  `owning a uv_work, not linkable: ${workOwners})` +
  (missing ? `; unlinked: ${[...missingTypes].map(([t, c]) => `${t} ${c}`).join(', ')}` : ''));
for (const p of problems) console.log(`  wrong link: ${p}`);
const ok = wrong === 0 && missing === 0 && pairs.size >= 5;
if (pairs.size < 5) console.log(`only ${pairs.size} kinds of links seen`);
process.exit(ok ? 0 : 1);
