// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Loads an asyncscope Chrome/Perfetto trace into speedscope (a real consumer
// of the Trace Event Format, from npm) in headless Chromium, served from
// 127.0.0.1 only, and checks what it made of it: one profile per thread that
// ran a callback, the longest callback of the profile it shows first listed
// by name in its Sandwich table, and no page error.
//
//   ASYNCSCOPE_PLAYWRIGHT=$(tools/fetch-playwright.sh) \
//   ASYNCSCOPE_SPEEDSCOPE=$(tools/fetch-speedscope.sh) node speedscope_check.js trace.json
//
// Exit 0 with one summary line; 1 with the problems; 2 when it cannot run.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');

const [file] = process.argv.slice(2);
const app = process.env.ASYNCSCOPE_SPEEDSCOPE;
let chromium;
try {
  ({ chromium } = require(path.join(process.env.ASYNCSCOPE_PLAYWRIGHT || '', 'node_modules', 'playwright-core')));
} catch (e) {
  console.log('speedscope_check: cannot load playwright-core (set ASYNCSCOPE_PLAYWRIGHT)');
  process.exit(2);
}
if (!app || !fs.existsSync(path.join(app, 'index.html'))) {
  console.log('speedscope_check: no speedscope app (set ASYNCSCOPE_SPEEDSCOPE)');
  process.exit(2);
}

// what the trace holds, by our own reading: threads with callbacks, the
// longest callback of each
const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
const slices = (trace.traceEvents || trace).filter((e) => e.ph === 'X');
const threads = new Map();
for (const e of slices) {
  const k = `${e.pid}:${e.tid}`;
  if (!threads.has(k) || threads.get(k).dur < e.dur) threads.set(k, e);
}

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json' };
const server = http.createServer((req, res) => {
  const url = decodeURIComponent(req.url.split(/[?#]/)[0]);
  const f = url === '/trace.json' ? file : path.join(app, path.normalize(url === '/' ? 'index.html' : url));
  if (url !== '/trace.json' && !f.startsWith(app)) { res.statusCode = 404; res.end(); return; }
  fs.readFile(f, (err, body) => {
    if (err) { res.statusCode = 404; res.end(); return; }
    res.setHeader('content-type', types[path.extname(f)] || 'application/octet-stream');
    res.end(body);
  });
});

server.listen(0, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${server.address().port}`;
  const problems = [];
  let browser;
  try {
    browser = await chromium.launch({ executablePath: process.env.ASYNCSCOPE_CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  } catch (e) {
    console.log(`speedscope_check: cannot start Chromium: ${e.message.split('\n')[0]}`);
    process.exit(2);
  }
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/index.html#title=asyncscope&profileURL=${encodeURIComponent(`${base}/trace.json`)}`);
  const header = await page.waitForFunction(() => /asyncscope \(\d+\/\d+\)/.exec(document.body.innerText),
    null, { timeout: 20000 }).then((h) => h.jsonValue()).catch(() => null);
  if (!header) problems.push('speedscope never showed the profile');
  const shown = header ? +/\/(\d+)/.exec(header[0])[1] : 0;
  if (header && shown !== threads.size) problems.push(`speedscope shows ${shown} profiles, the trace has ${threads.size} threads with callbacks`);
  await page.click('text=Sandwich').catch(() => problems.push('no Sandwich view'));
  const table = await page.evaluate(() => document.body.innerText);
  // speedscope shows the profiles in the order of the trace's threads
  const first = [...threads.values()][0];
  if (first && !table.includes(first.name)) problems.push(`the longest callback of the first thread, "${first.name}", is not in its table`);
  if (errors.length) problems.push(`page errors: ${errors.join('; ')}`);
  await browser.close();
  server.close();
  if (problems.length) {
    for (const p of problems) console.log(p);
    process.exit(1);
  }
  console.log(`speedscope read ${slices.length} callbacks as ${shown} thread profiles; "${first.name}" (${first.dur} us) listed`);
});
