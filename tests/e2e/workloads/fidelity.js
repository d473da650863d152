// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// A workload touching the native resource kinds a service uses: fs (callback
// and promises), TCP server and client, HTTP with a keep-alive agent (socket
// and parser reuse), dns.lookup, zlib, crypto.pbkdf2, child_process and a
// worker thread. Everything is loopback and bounded; it exits by itself.
'use strict';
const fs = require('fs');
const net = require('net');
const http = require('http');
const dns = require('dns');
const zlib = require('zlib');
const crypto = require('crypto');
const os = require('os');
const path = require('path');
const { execFile } = require('child_process');
const { Worker, isMainThread, parentPort } = require('worker_threads');

const ROUNDS = Number(process.env.ROUNDS || 20);

function p(fn) { return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v)))); }

if (!isMainThread) {
  // worker: its own environment, its own ids
  let n = 0;
  const tick = () => fs.stat(__filename, () => {
    if (++n < ROUNDS) setTimeout(tick, 1);
    else parentPort.postMessage('done');
  });
  tick();
  return;
}

async function fsWork(dir) {
  for (let i = 0; i < ROUNDS; i++) {
    const f = path.join(dir, `f${i}`);
    await p((cb) => fs.writeFile(f, 'x'.repeat(100 + i), cb));
    await p((cb) => fs.stat(f, cb));
    await p((cb) => fs.readFile(f, cb));
    await fs.promises.readFile(f);
    await p((cb) => fs.unlink(f, cb));
  }
}

async function tcpWork() {
  const server = net.createServer((sock) => sock.pipe(sock));
  await p((cb) => server.listen(0, '127.0.0.1', () => cb()));
  const { port } = server.address();
  for (let i = 0; i < ROUNDS / 2; i++) {
    await new Promise((resolve, reject) => {
      const c = net.connect(port, '127.0.0.1', () => c.end(`ping ${i}`));
      c.on('data', () => {});
      c.on('close', resolve);
      c.on('error', reject);
    });
  }
  await p((cb) => server.close(cb));
}

async function httpWork() {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end(`hello ${req.url}`));
  });
  await p((cb) => server.listen(0, '127.0.0.1', () => cb()));
  const { port } = server.address();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  for (let i = 0; i < ROUNDS; i++) {
    await new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port, path: `/r${i}`, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
  }
  agent.destroy();
  await p((cb) => server.close(cb));
}

async function misc() {
  for (let i = 0; i < 3; i++) await p((cb) => dns.lookup('localhost', cb));
  const data = Buffer.alloc(64 * 1024, 'a');
  for (let i = 0; i < 5; i++) {
    const z = await p((cb) => zlib.gzip(data, cb));
    await p((cb) => zlib.gunzip(z, cb));
  }
  for (let i = 0; i < 3; i++) await p((cb) => crypto.pbkdf2('secret', 'salt', 1000, 32, 'sha256', cb));
  for (let i = 0; i < 2; i++) await p((cb) => execFile('/bin/true', [], cb));
}

function workerWork() {
  return new Promise((resolve, reject) => {
    // the worker ends by itself once its work is done: terminate() could
    // stop it inside its last callback, before its recorder's exit marker
    const w = new Worker(__filename);
    w.on('message', () => {});
    w.on('exit', resolve);
    w.on('error', reject);
  });
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncscope-fid-'));
  await fsWork(dir);
  await tcpWork();
  await httpWork();
  await misc();
  await workerWork();
  fs.rmdirSync(dir);
})().catch((err) => { console.error(err); process.exitCode = 1; });
