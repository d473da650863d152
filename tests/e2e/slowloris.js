// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Hostile /metrics clients for 127-daemon-slowloris.sh:
//   node slowloris.js PORT IDLE SLOW SECONDS
// holds IDLE connections to 127.0.0.1:PORT that send nothing and SLOW ones
// that send a request head one byte every 0.5 s and never finish it; each
// one the server closes is opened again 50 ms later, so the load lasts.
// Prints "ready" once every connection has been made, and on SIGTERM or
// after SECONDS (a bound, whatever happens) one line: "connected N", the
// connections made in all.
'use strict';
const net = require('net');

const [port, idle, slow, seconds] = process.argv.slice(2).map(Number);
const HEAD = 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ';
let connected = 0;

function open(trickle) {
	const sock = net.connect(port, '127.0.0.1');
	let sent = 0;
	let timer = null;

	sock.on('connect', () => {
		if (++connected === idle + slow)
			console.log('ready');
		if (trickle)
			timer = setInterval(() => {
				sock.write(sent < HEAD.length ? HEAD[sent] : 'a');
				sent++;
			}, 500);
	});
	sock.on('error', () => {}); // a reset is a close like any other
	sock.on('data', () => {}); // an answer (400, 408) is read and dropped
	sock.on('close', () => {
		if (timer)
			clearInterval(timer);
		setTimeout(() => open(trickle), 50);
	});
}

function done() {
	console.log(`connected ${connected}`);
	process.exit(0);
}

for (let i = 0; i < idle; i++)
	open(false);
for (let i = 0; i < slow; i++)
	setTimeout(() => open(true), (500 * i) / slow); // trickles spread over 0.5 s
process.on('SIGTERM', done);
setTimeout(done, seconds * 1000);
