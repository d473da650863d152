// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Microtask checkpoints of known size: after each of a chain of fs.stat
// callbacks, V8 runs exactly the microtasks that callback queued (queueMicrotask,
// promise reactions, chained thens, await continuations, microtasks queued
// by microtasks). The plan is the ground truth, written to TRUTH as JSON.
// usage: node microtasks.js now|signal TRUTH
//   now: start at once; signal: print "ready PID", start on SIGUSR2, print
//   "done" at the end and stay until SIGTERM (for the daemon's scrapes).
'use strict';
const fs = require('fs');
const [mode, truthFile] = process.argv.slice(2);

const noop = () => {};
const make = {
	queue: (n) => { for (let i = 0; i < n; i++) queueMicrotask(noop); },
	then: (n) => { for (let i = 0; i < n; i++) Promise.resolve(i).then(noop); },
	// two reactions per chain: the first then's job, then the second's
	chain: (n) => { for (let i = 0; i < n / 2; i++) Promise.resolve(i).then(noop).then(noop); },
	// one continuation per await of a non-promise; nobody awaits the result
	await: (n) => { for (let i = 0; i < n; i++) (async () => { await null; })(); },
	// each microtask queues the next: one checkpoint runs them all
	nested: (n) => {
		let left = n;
		const next = () => { if (--left > 0) queueMicrotask(next); };
		queueMicrotask(next);
	},
};
const plan = [['queue', 3], ['then', 10], ['await', 1], ['chain', 26], ['nested', 14],
	['queue', 100], ['await', 7], ['then', 2], ['nested', 50], ['chain', 4]];

let step = 0;
function next() {
	if (step === plan.length) {
		fs.writeFileSync(truthFile, JSON.stringify({ counts: plan.map((p) => p[1]) }));
		if (mode === 'signal')
			console.log('done');
		return;
	}
	const [kind, n] = plan[step++];
	make[kind](n);
	// the checkpoint after this callback runs the n microtasks; the next
	// step starts in the next stat's callback
	fs.stat(__filename, next);
}

if (mode === 'signal') {
	// a signal handler does not keep node alive: this timer does (its
	// callbacks queue no microtask)
	setInterval(noop, 1000);
	process.on('SIGUSR2', () => fs.stat(__filename, next));
	console.log(`ready ${process.pid}`);
} else {
	fs.stat(__filename, next);
}
