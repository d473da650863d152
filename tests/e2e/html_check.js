// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Opens an asyncscope HTML report in headless Chromium and uses it as a
// person would: waits for the first render, clicks a resource in the tree,
// checks the detail panel and the highlighted callbacks, clicks a callback
// in the timeline and checks that the tree selects its resource, zooms and
// pans the timeline, then saves a full-page screenshot.
//
//   ASYNCSCOPE_PLAYWRIGHT=$(tools/fetch-playwright.sh) \
//     node tests/e2e/html_check.js report.html shot.png
//
// The raw template (data marker not replaced) is accepted too: then only the
// "no data" message and the absence of errors are checked.
//
// Exit 0 with one summary line; exit 1 with one line per problem on stdout;
// exit 2 when the check cannot run at all (no playwright-core, no browser).
// Environment: ASYNCSCOPE_PLAYWRIGHT (directory holding
// node_modules/playwright-core), ASYNCSCOPE_CHROMIUM (default
// /usr/bin/chromium).
'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const MARKER = '/*ASYNCSCOPE_DATA*/';
// generous: the point is to catch a page that hangs or crawls, not to
// benchmark a busy CI machine
const READY_LIMIT_MS = 20000;
const CLICK_LIMIT_MS = 5000;

function loadPlaywright() {
  const dir = process.env.ASYNCSCOPE_PLAYWRIGHT;
  const tries = dir ? [path.join(path.resolve(dir), 'node_modules', 'playwright-core'), 'playwright-core'] : ['playwright-core'];
  for (const t of tries) {
    try { return require(t); } catch (e) { /* next */ }
  }
  console.log(`html_check: cannot load playwright-core (tried ${tries.join(', ')}); set ASYNCSCOPE_PLAYWRIGHT=$(tools/fetch-playwright.sh)`);
  process.exit(2);
}

// The JSON the C side put into the page, read back the way the page reads
// it, so the checks can pick nodes and slices to click.
function embeddedData(html) {
  const m = /<script id="asyncscope-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  if (!m) return { error: 'no <script id="asyncscope-data" type="application/json"> element' };
  try { return { data: JSON.parse(m[1]) }; } catch (e) { return { error: `embedded data is not JSON: ${e.message}` }; }
}

async function main() {
  const [reportArg, shotArg] = process.argv.slice(2);
  if (!reportArg || !shotArg) {
    console.log('usage: node html_check.js REPORT.html SCREENSHOT.png');
    process.exit(2);
  }
  const report = path.resolve(reportArg);
  const html = fs.readFileSync(report, 'utf8');
  const problems = [];
  const problem = (m) => { if (problems.length < 50) problems.push(m); };

  const markers = html.split(MARKER).length - 1;
  const template = markers > 0;
  if (markers > 1) problem(`the data marker appears ${markers} times, not once`);
  let data = null;
  if (!template) {
    const r = embeddedData(html);
    if (r.error) problem(r.error); else data = r.data;
  }

  const { chromium } = loadPlaywright();
  const exe = process.env.ASYNCSCOPE_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(exe)) {
    console.log(`html_check: no browser at ${exe} (apt-get install chromium, or set ASYNCSCOPE_CHROMIUM)`);
    process.exit(2);
  }
  const browser = await chromium.launch({
    executablePath: exe,
    headless: true,
    // root in a container has no user namespaces for the sandbox
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const summary = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
    const url = pathToFileURL(report).href;

    // the page must be entirely self-contained: any request but the file
    // itself is a problem, and is stopped before it leaves the machine
    await page.route('**/*', (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      problem(`request: ${route.request().method()} ${u}`);
      return route.abort();
    });
    page.on('console', (m) => { if (m.type() === 'error') problem(`console error: ${m.text()}`); });
    page.on('pageerror', (e) => problem(`page error: ${e.message}`));
    page.on('requestfailed', (r) => { if (r.url() === url) problem(`request failed: ${r.url()} (${r.failure() && r.failure().errorText})`); });

    const t0 = Date.now();
    await page.goto(url, { waitUntil: 'load', timeout: READY_LIMIT_MS });
    // The page's script is inline and synchronous, so at "load" it has run:
    // no hook then means it never ran, and waiting longer will not help.
    const hooked = await page.evaluate(() => typeof window.asyncscopeReport === 'object');
    try {
      if (!hooked) throw new Error('no hook');
      await page.waitForFunction(() => window.asyncscopeReport.ready === true, null, { timeout: READY_LIMIT_MS, polling: 50 });
    } catch (e) {
      problem(hooked ? `window.asyncscopeReport.ready not true after ${READY_LIMIT_MS} ms` : 'the page\'s script did not run (no window.asyncscopeReport after load)');
      // The usual cause: the HTML parser ended the data element somewhere
      // else than the file suggests ("<!--" then "<script" inside the JSON
      // keeps "</script>" from closing it), so the page's code became data.
      const m = /<script id="asyncscope-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
      const got = await page.evaluate(() => {
        const e = document.getElementById('asyncscope-data');
        return { len: e ? e.textContent.length : -1 };
      }).catch(() => null);
      if (m && got && got.len !== m[1].length) {
        problem(`the browser reads the data element as ${got.len} characters, not ${m[1].length}: the JSON must not hold "<!--" or "</script"; write every "<" as \\u003c`);
      }
      throw new Error('not ready');
    }
    const readyMs = Date.now() - t0;
    const st = () => page.evaluate(() => {
      const a = window.asyncscopeReport;
      return { nodesDrawn: a.nodesDrawn, slicesDrawn: a.slicesDrawn, selected: a.selected, highlightedSlices: a.highlightedSlices, error: a.error, nodata: a.nodata, timings: a.timings };
    });
    const s0 = await st();
    if (s0.error) problem(`page reports an error: ${s0.error}`);
    const text = async (id) => (await page.locator(`[data-testid="${id}"]`).innerText()).replace(/\s+/g, ' ');

    if (template) {
      if (!s0.nodata) problem('template: asyncscopeReport.nodata is not true');
      const nd = page.locator('[data-testid="nodata"]');
      if (!(await nd.isVisible())) problem('template: the "no data" message is not visible');
      else if (!/no data/i.test(await nd.innerText())) problem('template: the "no data" message does not say "No data"');
      summary.push(`template: "no data" shown, ready in ${readyMs} ms`);
    } else if (data && !s0.error) { // a page that reports an error has nothing more to check
      const nodes = Array.isArray(data.nodes) ? data.nodes : [];
      const slices = Array.isArray(data.slices) ? data.slices : [];
      const meta = data.meta || {};
      for (const id of ['meta', 'tree', 'timeline', 'detail']) {
        if (!(await page.locator(`[data-testid="${id}"]`).isVisible())) problem(`[data-testid=${id}] not visible`);
      }
      if (typeof meta.source === 'string' && meta.source && !(await text('meta')).includes(meta.source)) problem(`header does not show the source ${meta.source}`);
      if (nodes.length && !(s0.nodesDrawn > 0)) problem(`nodesDrawn is ${s0.nodesDrawn} with ${nodes.length} nodes`);
      if (slices.length && !(s0.slicesDrawn > 0)) problem(`slicesDrawn is ${s0.slicesDrawn} with ${slices.length} slices`);
      summary.push(`${nodes.length} nodes (${s0.nodesDrawn} drawn), ${slices.length} slices (${s0.slicesDrawn} drawn), ready in ${readyMs} ms (page: parse ${s0.timings.parseMs}, model ${s0.timings.modelMs}, render ${s0.timings.renderMs} ms)`);

      const perNode = new Map();
      slices.forEach((s) => { if (Number.isInteger(s.node) && s.node >= 0) perNode.set(s.node, (perNode.get(s.node) || 0) + 1); });
      const label = (n) => String(nodes[n].label);

      // click node n in the tree as a person would, at the point the page
      // says it is drawn; returns the time until the selection showed
      const clickNode = async (n, what) => {
        const pt = await page.evaluate((i) => window.asyncscopeReport.nodePoint(i), n);
        if (!pt) { problem(`${what}: node ${n} (${label(n)}) cannot be shown in the tree`); return -1; }
        const t = Date.now();
        await page.mouse.click(pt.x, pt.y);
        try {
          await page.waitForFunction((i) => window.asyncscopeReport.selected === i, n, { timeout: CLICK_LIMIT_MS, polling: 20 });
        } catch (e) {
          const got = await page.evaluate(() => window.asyncscopeReport.selected);
          problem(`${what}: clicking node ${n} (${label(n)}) in the tree selected ${got}`);
          return -1;
        }
        const ms = Date.now() - t;
        const det = await text('detail');
        // the panel may cut nothing, but collapses runs of blanks
        if (!det.includes(label(n).replace(/\s+/g, ' '))) problem(`${what}: detail panel does not show the label "${label(n)}"`);
        const hs = await page.evaluate(() => window.asyncscopeReport.highlightedSlices);
        const want = perNode.get(n) || 0;
        if (hs !== want) problem(`${what}: highlightedSlices is ${hs}, the data has ${want} slices of node ${n}`);
        return ms;
      };

      if (nodes.length) {
        let first = nodes.findIndex((o) => o && o.kind === 'resource');
        if (first < 0) first = 0;
        const ms1 = await clickNode(first, 'first resource');
        if (ms1 >= 0) summary.push(`tree click ${ms1} ms`);
        // a node with callbacks, so that the timeline has something to light up
        const withSlices = nodes.findIndex((o, i) => o && o.kind === 'resource' && perNode.get(i) > 0);
        const pickN = withSlices >= 0 ? withSlices : nodes.findIndex((o, i) => perNode.get(i) > 0);
        if (pickN >= 0 && pickN !== first) await clickNode(pickN, 'node with slices');
        if (pickN >= 0) {
          const hs = await page.evaluate(() => window.asyncscopeReport.highlightedSlices);
          if (!(hs > 0)) problem(`node ${pickN} has ${perNode.get(pickN)} slices but highlightedSlices is ${hs}`);
        }
      }

      // click a slice of another node in the timeline: the tree must follow
      const cur = await page.evaluate(() => window.asyncscopeReport.selected);
      let k = slices.findIndex((s) => Number.isInteger(s.node) && s.node >= 0 && s.node !== cur && s.node < nodes.length);
      if (k < 0) k = slices.findIndex((s) => Number.isInteger(s.node) && s.node >= 0 && s.node < nodes.length);
      if (k >= 0) {
        const want = slices[k].node;
        const pt = await page.evaluate((i) => window.asyncscopeReport.slicePoint(i), k);
        if (!pt) problem(`slice ${k} cannot be shown in the timeline`);
        else {
          const t = Date.now();
          await page.mouse.click(pt.x, pt.y);
          try {
            await page.waitForFunction((i) => window.asyncscopeReport.selected === i, want, { timeout: CLICK_LIMIT_MS, polling: 20 });
            summary.push(`timeline click ${Date.now() - t} ms`);
            if (!(await page.evaluate((i) => window.asyncscopeReport.nodeDrawn(i), want))) problem(`after the timeline click, node ${want} is not drawn in the tree`);
            if (!(await text('detail')).includes(label(want).replace(/\s+/g, ' '))) problem(`after the timeline click, the detail panel does not show "${label(want)}"`);
          } catch (e) {
            const got = await page.evaluate(() => window.asyncscopeReport.selected);
            problem(`clicking slice ${k} in the timeline selected node ${got}, not its node ${want}`);
          }
        }

        // wheel zooms in around the pointer, a drag pans
        const box = await page.locator('[data-testid="timeline"] canvas').boundingBox({ timeout: CLICK_LIMIT_MS });
        if (box) {
          const v0 = await page.evaluate(() => window.asyncscopeReport.timelineView());
          await page.mouse.move(box.x + box.width / 2, box.y + 40);
          await page.mouse.wheel(0, -400);
          await page.waitForTimeout(80);
          const v1 = await page.evaluate(() => window.asyncscopeReport.timelineView());
          if (!(v1.end_ns - v1.start_ns < v0.end_ns - v0.start_ns)) problem('wheel over the timeline did not zoom in');
          await page.mouse.move(box.x + box.width / 2, box.y + 40);
          await page.mouse.down();
          await page.mouse.move(box.x + box.width / 2 + 200, box.y + 40, { steps: 5 });
          await page.mouse.up();
          await page.waitForTimeout(80);
          const v2 = await page.evaluate(() => window.asyncscopeReport.timelineView());
          if (v2.start_ns === v1.start_ns && v1.start_ns > 0) problem('dragging the timeline did not pan it');
          // the drag must not have counted as a click
          if ((await page.evaluate(() => window.asyncscopeReport.selected)) !== want) problem('dragging the timeline changed the selection');
        }
      }

      // the screenshot shows the whole capture with the selection marked:
      // "Reset view" on every zoomed tree section, "Fit" on the timeline
      const before = await page.evaluate(() => window.asyncscopeReport.selected);
      for (const b of await page.locator('[data-testid="tree"] .section button:enabled', { hasText: 'Reset view' }).all()) await b.click();
      if (await page.locator('#tl-fit').isVisible()) await page.locator('#tl-fit').click();
      const v = await page.evaluate(() => window.asyncscopeReport.timelineView());
      if (v && v.start_ns !== 0) problem(`"Fit" left the timeline at ${v.start_ns} ns`);
      if ((await page.evaluate(() => window.asyncscopeReport.selected)) !== before) problem('resetting the views changed the selection');
    }

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(50);
    await page.screenshot({ path: path.resolve(shotArg), fullPage: true });
  } catch (e) {
    if (e.message !== 'not ready') problem(`check aborted: ${e.message.split('\n')[0]}`);
  } finally {
    await browser.close();
  }
  if (problems.length) {
    for (const p of problems) console.log(`${path.basename(report)}: ${p}`);
    process.exit(1);
  }
  console.log(`html_check: ok ${path.basename(report)}: ${summary.join(', ')}; screenshot ${shotArg}`);
}

main().catch((e) => { console.log(`html_check: ${e.message.split('\n')[0]}`); process.exit(1); });
