// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Promise rejections of known fate, each in an fs.stat callback of its own:
// 3 never get a handler (4 with EXTRA_UNHANDLED=1: a regression for CI
// budgets to catch, the command line unchanged), 2 get one in a
// later callback, after Node reported them (2), and others are handled in
// time, which Node never reports: synchronously, in a microtask, in a
// nextTick and in a later microtask of the same run. Node's own view is the
// ground truth: process 'unhandledRejection' and 'rejectionHandled', with
// the executionAsyncId each rejection happened in, written to TRUTH as JSON.
// Node reports the late ones as unhandled first, so its own counts are 5
// 'unhandledRejection' and 2 'rejectionHandled'.
// usage: node rejections.js TRUTH
//   START_ON_SIGNAL=1: print "ready PID", start on SIGUSR2, print "done" at
//   the end and stay until SIGTERM (for the daemon's scrapes)
'use strict';
const fs = require('fs');
const { executionAsyncId } = require('async_hooks');
const truthFile = process.argv[2];
const unhandled = 3 + Number(process.env.EXTRA_UNHANDLED || 0);

const truth = { unhandled: [], handled_late: [], rejected: [], late_handler_exec: 0 };
const exec = new Map(); // promise -> executionAsyncId at its rejection
process.on('unhandledRejection', (reason, p) => truth.unhandled.push(exec.get(p)));
process.on('rejectionHandled', (p) => truth.handled_late.push(exec.get(p)));

const late = [];
function reject(tag) {
	const p = Promise.reject(new Error(tag));
	exec.set(p, executionAsyncId());
	truth.rejected.push({ tag, exec: executionAsyncId() });
	return p;
}
const noop = () => {};
const steps = [];
for (let i = 0; i < unhandled; i++) steps.push(() => reject('unhandled'));
steps.push(() => late.push(reject('late')));
steps.push(() => late.push(reject('late')));
steps.push(() => reject('sync').catch(noop));
steps.push(() => { const p = reject('microtask'); queueMicrotask(() => p.catch(noop)); });
steps.push(() => { const p = reject('tick'); process.nextTick(() => p.catch(noop)); });
steps.push(() => { const p = reject('chain'); Promise.resolve().then(() => {}).then(() => p.catch(noop)); });
// the late ones get their handlers here, long after Node reported them
steps.push(() => {
	truth.late_handler_exec = executionAsyncId();
	late.forEach((p) => p.catch(noop));
});

let k = 0;
function next() {
	if (k < steps.length) {
		steps[k++]();
		fs.stat(__filename, next);
		return;
	}
	fs.writeFileSync(truthFile, JSON.stringify(truth));
	if (process.env.START_ON_SIGNAL)
		console.log('done');
}
if (process.env.START_ON_SIGNAL) {
	setInterval(noop, 1000); // a signal handler alone does not keep node alive
	process.on('SIGUSR2', () => fs.stat(__filename, next));
	console.log(`ready ${process.pid}`);
} else {
	fs.stat(__filename, next);
}
