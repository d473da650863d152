// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// rejections_check.js OBS.jsonl TRUTH.json: the "rejection" events of a
// traced workloads/rejections.js against Node's own view in TRUTH: one
// "unhandled" per 'unhandledRejection', in the executionAsyncId the promise
// was rejected in, one "handled_late" per 'rejectionHandled', in the one the
// late handler was added in, nothing else (the rejections handled in time
// are not reported). Each one's context must name the FSREQCALLBACK that
// ran: its type on the event itself, equal to its init's, with a creation
// path. Exit 1 on any difference.
'use strict';
const fs = require('fs');
const [obsFile, truthFile] = process.argv.slice(2);
const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
const events = fs.readFileSync(obsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const types = new Map(events.filter((e) => e.event === 'init').map((e) => [e.id, e.type]));
const rej = events.filter((e) => e.event === 'rejection');
const got = (kind) => rej.filter((e) => e.kind === kind).map((e) => e.exec);
const want = { unhandled: truth.unhandled, handled_late: truth.handled_late.map(() => truth.late_handler_exec) };
let bad = 0;
for (const kind of ['unhandled', 'handled_late']) {
	const g = got(kind).join(' '), w = want[kind].join(' ');
	console.log(`${kind.padEnd(12)} observed exec [${g}], node [${w}]`);
	if (g !== w) bad++;
}
const wrong = rej.filter((e) => e.type !== 'FSREQCALLBACK' || types.get(e.exec) !== e.type || !e.path);
console.log(`context: ${rej.length - wrong.length}/${rej.length} in an FSREQCALLBACK, as its init says; paths: ` +
	[...new Set(rej.map((e) => e.path))].join(' | '));
if (wrong.length) bad++;
const dup = got('handled_late').length && rej.filter((e) => e.kind === 'handled_late')
	.every((h) => rej.some((u) => u.kind === 'unhandled' && u.promise === h.promise));
console.log(`handled_late promises found among the unhandled by address: ${dup ? "yes" : "no (moved by a GC?)"}`);
// informative only: a GC between the two may move the promise
process.exit(bad ? 1 : 0);
