// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// microtasks_check.js OBS.jsonl TRUTH.json: the "microtasks" events of the
// traced process must contain the workload's checkpoints, in order and
// exactly (other runs, at bootstrap and exit, may surround them). Prints the
// observed counts; exit 1 when the plan is not found.
'use strict';
const fs = require('fs');
const [obsFile, truthFile] = process.argv.slice(2);
const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8')).counts;
const seen = fs.readFileSync(obsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
	.filter((e) => e.event === 'microtasks').map((e) => e.count);
let at = -1;
for (let i = 0; i + truth.length <= seen.length && at < 0; i++)
	if (truth.every((n, k) => seen[i + k] === n)) at = i;
console.log(`truth    ${truth.join(' ')} (${truth.reduce((a, b) => a + b, 0)} in ${truth.length} checkpoints)`);
console.log(`observed ${seen.join(' ')} (${seen.length} runs, ${seen.reduce((a, b) => a + b, 0)} microtasks)`);
console.log(at >= 0 ? `match at run ${at}` : 'NO MATCH');
process.exit(at >= 0 ? 0 : 1);
