// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Copies a node binary and breaks one of asyncscope's node-layer rules in
// the copy without changing what the program does: provider_names[0], the
// string "NONE" every rule-checked build starts its provider table with,
// becomes "NOPE". The copy runs as before (only async_hooks' name for
// provider 0 changes); asyncscope must call its node layer unsupported,
// name the rule, and keep the uv layer.
//
//   node break_rule.js NODE COPY
'use strict';
const fs = require('fs');
const { execFileSync } = require('child_process');

const [src, dst] = process.argv.slice(2);
const buf = fs.readFileSync(src);
const sym = execFileSync('nm', [src], { maxBuffer: 1 << 28 }).toString()
  .split('\n').find((l) => l.endsWith(' _ZN4nodeL14provider_namesE'));
if (!sym) throw new Error(`${src}: no node::provider_names symbol`);
const phoff = Number(buf.readBigUInt64LE(0x20));
const phentsize = buf.readUInt16LE(0x36), phnum = buf.readUInt16LE(0x38);
const fileOffset = (vaddr) => {
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (buf.readUInt32LE(p) !== 1) continue; // PT_LOAD
    const off = Number(buf.readBigUInt64LE(p + 8)), va = Number(buf.readBigUInt64LE(p + 16));
    const filesz = Number(buf.readBigUInt64LE(p + 32));
    if (vaddr >= va && vaddr < va + filesz) return off + (vaddr - va);
  }
  throw new Error(`0x${vaddr.toString(16)} is in no PT_LOAD segment`);
};
const table = fileOffset(parseInt(sym.split(' ')[0], 16));
const name0 = fileOffset(Number(buf.readBigUInt64LE(table)));
if (buf.toString('latin1', name0, name0 + 5) !== 'NONE\0') throw new Error('provider_names[0] is not "NONE"');
buf.write('NOPE', name0, 'latin1');
fs.writeFileSync(dst, buf, { mode: 0o755 });
