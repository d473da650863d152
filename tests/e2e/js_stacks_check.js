// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// e2e 150: trace --js-stacks against the in-process recorder's
// new Error().stack at every init. For each node-layer init whose recorded
// stack has a frame in the user script, the innermost such frame's function
// name must be the innermost js_stack frame of that script, with the same
// script. Prints the rate; exits 1 below the minimum (argv[4], percent).
// With argv[5] "script", only the script of the innermost user frame must
// match (optimized code that inlined the user function: see 150's header).
'use strict';
const fs = require('fs');

const [obsPath, gtBase, script, minPct, only] = process.argv.slice(2);
const lines = (p) => fs.readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

// "    at name (/path:1:2)", "    at /path:1:2", "    at async name (...)"
function userFrame(stack) {
  for (const l of stack.split('\n').slice(1)) {
    const m = /^\s*at (?:async )?(?:(.*?) \()?(.*?):\d+:\d+\)?$/.exec(l);
    if (m && m[2] === script)
      return { fn: m[1] || '', script: m[2] };
  }
  return null;
}

const obs = new Map();
for (const e of lines(obsPath))
  if (e.event === 'init' && e.layer === 'node')
    obs.set(e.id, e);

const dir = require('path').dirname(gtBase);
const gtFiles = fs.readdirSync(dir).filter((f) => f.startsWith(require('path').basename(gtBase) + '.'));
let user = 0, matched = 0, noStack = 0;
const misses = [];
for (const f of gtFiles) {
  for (const g of lines(require('path').join(dir, f))) {
    if (g.event !== 'init' || !g.stack || !obs.has(g.id))
      continue;
    const want = userFrame(g.stack);
    if (!want)
      continue;
    user++;
    const js = obs.get(g.id).js_stack;
    if (!js) {
      noStack++;
      continue;
    }
    const got = js.find((fr) => fr.script === script);
    // V8 names a method call "Recv.name": compare the function's own name
    // and an anonymous function's is "" (V8's stack says <anonymous>)
    let bare = want.fn.split('.').pop();
    if (bare === '<anonymous>')
      bare = '';
    if (got && (got.fn === bare || only === 'script'))
      matched++;
    else if (misses.length < 5)
      misses.push(`${g.type} ${g.id}: want ${want.fn}, got ${JSON.stringify(got || js[0] || null)}`);
  }
}
const pct = user ? (100 * matched) / user : 0;
console.log(`${matched}/${user} inits from user code matched${only === 'script' ? ' by script' : ''} (${pct.toFixed(1)}%), ${noStack} without js_stack`);
for (const m of misses)
  console.log(`  miss: ${m}`);
process.exit(user > 0 && pct >= Number(minPct) ? 0 : 1);
