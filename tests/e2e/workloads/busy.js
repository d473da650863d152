// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A process nearly always inside a native callback, to attach to at a random
// moment: two fs.stat chains and a TCP ping-pong whose callbacks each spin
// for a millisecond, then start the next stat or write the next ping (a
// native resource made inside the running one), and a chain of timeouts
// that each start a stat (JS resources the JS layer must still find). Writes its PID to argv[2]
// once the connection is up; runs until killed.
'use strict';
const fs = require('fs');
const net = require('net');

const spin = () => { const end = process.hrtime.bigint() + 1000000n; while (process.hrtime.bigint() < end); };
const echo = net.createServer((s) => s.on('data', (d) => s.write(d)));
echo.listen(0, '127.0.0.1', () => {
  const sock = net.connect(echo.address().port, '127.0.0.1', () => {
    sock.on('data', () => { spin(); sock.write('p'); });
    sock.write('p');
    const stat = () => fs.stat(__filename, () => { spin(); stat(); });
    stat();
    stat();
    const timer = () => setTimeout(() => { fs.stat(__filename, () => {}); timer(); }, 10);
    timer();
    fs.writeFileSync(process.argv[2], String(process.pid));
  });
});
