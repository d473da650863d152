// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The bundled demo: a small HTTP service whose handler reads a file, looks
// up a host name and gzips the reply; a client in the same process sends
// five keep-alive requests, then everything shuts down.
'use strict';
const fs = require('fs');
const http = require('http');
const dns = require('dns');
const zlib = require('zlib');

const server = http.createServer((req, res) => {
  fs.readFile(__filename, (err, body) => {
    if (err) { res.statusCode = 500; return res.end(); }
    dns.lookup('localhost', () => {
      zlib.gzip(body, (err2, gz) => {
        res.setHeader('content-encoding', 'gzip');
        res.end(gz);
      });
    });
  });
});

server.listen(0, '127.0.0.1', () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let left = 5;
  const next = () => {
    if (left-- === 0) {
      agent.destroy();
      server.close();
      return;
    }
    http.get({ host: '127.0.0.1', port: server.address().port, path: '/', agent }, (res) => {
      res.resume();
      res.on('end', () => setTimeout(next, 20));
    });
  };
  next();
});
