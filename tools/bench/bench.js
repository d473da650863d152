// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// make bench: what observing costs the target, side by side with the
// in-process alternatives, in one run, on this machine. Writes
// bench/results.md and bench/results.json.
//
// Every configuration runs the same workload in interleaved rounds (round 1:
// every configuration, round 2: every configuration, ...), so drift on this
// shared VM hits them alike; we report the median, min and max of the
// rounds and the ratio of medians to bare. The target is pinned to CPU 1,
// the load generator and asyncscope to CPU 0. Tracers attach with -p to a
// workload that waits on stdin, so only the work itself is timed.
//
//   node tools/bench/bench.js [--rounds N] [--quick] [--only http,twins,probes,fsstat,timers,awaits,uvstat,ingest,report,daemon]
//                             [--nodes 20,24] [--out DIR]
// --nodes and --out are for experiments: a subset of the node lines in
// tests/node-versions, and results written elsewhere than bench/.
'use strict';
const { spawn, spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const TOP = path.resolve(__dirname, '../..');
const ASYNCSCOPE = path.join(TOP, 'asyncscope');
const W = path.join(__dirname, 'workloads');
const P = path.join(__dirname, 'preload');
const args = process.argv.slice(2);
const opt = { rounds: 3, quick: false, only: null, nodes: null, out: path.join(TOP, 'bench') };
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--rounds') opt.rounds = Number(args[++i]);
  else if (args[i] === '--quick') opt.quick = true;
  else if (args[i] === '--only') opt.only = args[++i].split(',');
  else if (args[i] === '--nodes') opt.nodes = args[++i].split(',').map(Number);
  else if (args[i] === '--out') opt.out = path.resolve(args[++i]);
  else { console.error(`bench: unknown option ${args[i]}`); process.exit(2); }
}
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'asyncscope-bench-'));
const log = (...a) => console.error('bench:', ...a);

function nodeBin(major) {
  return execFileSync(path.join(TOP, 'tools/fetch-node.sh'), [String(major)], { encoding: 'utf8' }).trim();
}
function nodeMajors() {
  return fs.readFileSync(path.join(TOP, 'tests/node-versions'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#')).map((l) => Number(l.split(/\s+/)[0]))
    .filter((m) => !opt.nodes || opt.nodes.includes(m));
}
function supportsTrackPromises(node) {
  const r = spawnSync(node, ['-e', `const ah=require('async_hooks');let n=0;ah.createHook({init(i,t){if(t==='PROMISE')n++},trackPromises:false}).enable();Promise.resolve().then(()=>{});setImmediate(()=>console.log(n))`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() === '0';
}

// The configurations, in the order they run in each round.
function configs(node, withExact = true, withDaemon = false) {
  const list = [
    { name: 'bare', node: [] },
    { name: 'async_hooks no-op hook', node: ['-r', path.join(P, 'hook.js')] },
  ];
  if (supportsTrackPromises(node))
    list.push({ name: 'hook, trackPromises:false', node: ['-r', path.join(P, 'hook-notrack.js')] });
  list.push(
    { name: 'AsyncLocalStorage', node: ['-r', path.join(P, 'als.js')] },
    { name: 'trace events node.async_hooks', node: ['--trace-event-categories', 'node.async_hooks', '--trace-event-file-pattern', path.join(TMP, 'te-${pid}.log')] },
    // the uprobe hits alone: the default mode's sites with empty programs
    { name: 'trap floor (empty programs on the default sites)', node: [], tracer: ['--js', 'default'],
      env: { ASYNCSCOPE_BENCH_EMPTY_PROGRAMS: '1' }, floor: true },
    { name: 'asyncscope node layer', node: [], tracer: ['--js', 'off'] },
  );
  // the daemon, probes always in: the same probes as the node layer, counted in BPF maps
  if (withDaemon) list.push({ name: 'asyncscope daemon, exact', node: [], daemon: 'exact' });
  list.push(
    { name: 'asyncscope trace, default (node + js default)', node: [], tracer: ['--js', 'default'] },
  );
  if (withExact) {
    list.push({ name: 'asyncscope node + js exact', node: [], tracer: ['--js', 'exact'] });
    list.push({ name: 'asyncscope node + uv layers', node: [], tracer: ['--js', 'off', '--layers', 'node,uv'] });
  }
  return list;
}

// A plain libuv program: nothing in-process to compare with, so bare vs the uv layer.
const uvConfigs = () => [
  { name: 'bare', node: [] },
  { name: 'asyncscope uv layer', node: [], tracer: [] },
];

function lineReader(stream) {
  let buf = '';
  const waiters = [];
  const lines = [];
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.findIndex((x) => x.re.test(l));
      if (w >= 0) waiters.splice(w, 1)[0].resolve(l);
      else lines.push(l);
    }
  });
  return (re, ms = 20000) => new Promise((resolve, reject) => {
    const hit = lines.findIndex((l) => re.test(l));
    if (hit >= 0) return resolve(lines.splice(hit, 1)[0]);
    const w = { re, resolve };
    waiters.push(w);
    // unref'd: a pending timeout must not keep bench.js alive once done
    setTimeout(() => { const k = waiters.indexOf(w); if (k >= 0) { waiters.splice(k, 1); reject(new Error(`timeout waiting for ${re}`)); } }, ms).unref();
  });
}
const exited = (child) => new Promise((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
  else child.once('exit', (code) => resolve(code));
});

// Starts the tracer on pid (CPU 0) and resolves once its probes are in place.
async function startTracer(cfg, pid, out) {
  const t = spawn('taskset', ['-c', '0', ASYNCSCOPE, 'trace', ...cfg.tracer, '-o', out, '-p', String(pid)],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...(cfg.env || {}) } });
  const next = lineReader(t.stderr);
  await next(/attached \d+ probes/);
  return t;
}
function readSummary(file) {
  try {
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const s = JSON.parse(lines[lines.length - 1]);
    const size = fs.statSync(file).size;
    return s.event === 'summary' ? { ...s, bytes: size } : null;
  } catch (e) { return null; }
}

// CPU time of a process, all its threads, in ns (schedstat: ns resolution).
// Probe programs run in the thread that hit the probe, so they count here.
function processCpuNs(pid) {
  let ns = 0;
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch (e) { /* thread gone */ }
    }
  } catch (e) { return NaN; }
  return ns;
}

// BPF programs' run counts and times (kernel.bpf_stats_enabled), by id.
function bpfProgStats() {
  const r = spawnSync('bpftool', ['prog', 'show', '-j'], { encoding: 'utf8' });
  const m = new Map();
  try { for (const p of JSON.parse(r.stdout)) if (p.name) m.set(p.id, { name: p.name, cnt: p.run_cnt || 0, ns: p.run_time_ns || 0 }); } catch (e) { /* none */ }
  return m;
}
const PROBE_PROGRAM = /^(node_|uv_|js_)/;
function bpfDelta(before, after) {
  const rows = new Map();
  for (const [id, a] of after) {
    const b = before.get(id);
    if (!b || !PROBE_PROGRAM.test(a.name) || a.cnt === b.cnt) continue;
    const r = rows.get(a.name) || { cnt: 0, ns: 0 };
    r.cnt += a.cnt - b.cnt;
    r.ns += a.ns - b.ns;
    rows.set(a.name, r);
  }
  return rows;
}

// One run of a timed workload: {value (ms), ops, summary}. node null: workload is a program.
async function runMicro(node, cfg, workload, env) {
  const argv = node ? [node, ...cfg.node, path.join(W, workload)] : [workload];
  const child = spawn('taskset', ['-c', '1', ...argv],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const next = lineReader(child.stdout);
  const ready = await next(/^ready \d+/);
  const pid = Number(ready.split(' ')[1]);
  let tracer = null;
  const out = path.join(TMP, `trace-${Date.now()}.jsonl`);
  if (cfg.tracer) tracer = await startTracer(cfg, pid, out);
  child.stdin.write('go\n');
  const res = JSON.parse(await next(/^\{/, 600000));
  child.stdin.end();
  await exited(child);
  let summary = null;
  if (tracer) {
    await exited(tracer);
    summary = readSummary(out);
    fs.rmSync(out, { force: true });
  }
  return { value: res.ms, ops: res.ops, summary };
}

function samplePeriodSeconds() {
  const text = execFileSync(ASYNCSCOPE, ['daemon', '--print-config'], { encoding: 'utf8' });
  const m = /^sample_period = (\d+)(ms|s|m)$/m.exec(text);
  return m ? Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2]] : NaN;
}

// asyncscope daemon on CPU 0, serving /metrics on a port of its own, in mode
// (the config's default when not given).
async function startDaemon(mode, extraConfig = '') {
  const conf = path.join(TMP, 'daemon.conf');
  const port = 19900 + (process.pid % 100);
  fs.mkdirSync(path.join(TMP, 'state'), { recursive: true });
  // per-process series: the bench reads the one pid it measures
  fs.writeFileSync(conf, `state_dir = ${path.join(TMP, 'state')}\nmetrics_pid_label = on\n${mode ? `mode = ${mode}\n` : ''}${extraConfig}`);
  const d = spawn('taskset', ['-c', '0', ASYNCSCOPE, 'daemon', '--config', conf, '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const next = lineReader(d.stderr);
  await next(/serving http/);
  return { child: d, next, port };
}
function scrape(port) {
  return new Promise((resolve, reject) => {
    require('http').get(`http://127.0.0.1:${port}/metrics`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}
// What the daemon counted for pid, in the shape of a trace summary.
function daemonSummary(text, pid) {
  const sample = (name) => Number((text.match(new RegExp(`^${name} (\\S+)$`, 'm')) || [])[1]);
  let events = 0;
  for (const m of text.matchAll(new RegExp(`^asyncscope_events_total\\{pid="${pid}",[^}]*\\} (\\d+)$`, 'gm'))) events += Number(m[1]);
  const observed = text.match(new RegExp(`^asyncscope_observed_seconds_total\\{pid="${pid}",[^}]*\\} (\\S+)$`, 'm'));
  return {
    events, observed_s: observed ? Number(observed[1]) : 0, lost: sample('asyncscope_daemon_events_lost_total'), bytes: 0,
    self_cpu_us: sample('asyncscope_daemon_cpu_seconds_total') * 1e6,
    self_maxrss_kb: sample('asyncscope_daemon_resident_memory_bytes') / 1024,
  };
}

// What the daemon counted between two scrapes (totals as of the second).
function daemonDelta(base, end) {
  return { ...end, events: end.events - base.events, observed_s: end.observed_s - base.observed_s, self_cpu_us: end.self_cpu_us - base.self_cpu_us };
}

// Twins: bare runs of one HTTP server here differ by up to ±20% from one
// minute to the next (other guests of the host), too much to resolve a
// cost of a few percent in runs one after the other. Two copies of the node
// binary (two files: a daemon can leave one out by exclude_exe and probe
// nothing of it) serve HTTP side by side on CPU 1, one wrk each on CPU 0;
// one twin runs a configuration, the other stays bare. What the machine
// does to one twin it does to the other in the same second, so their ratio
// is the configuration's cost. The twins swap roles from round to round,
// and a control pair (both bare) shows the method's own spread. Sharing a
// CPU, each twin gets half of it: the ratio is of cost per request, not of
// a whole CPU's throughput.
function makeTwins(node) {
  return [0, 1].map((i) => {
    const dir = path.join(TMP, `twin${i}`);
    fs.mkdirSync(dir, { recursive: true });
    const bin = path.join(dir, 'node');
    fs.copyFileSync(node, bin);
    fs.chmodSync(bin, 0o755);
    return bin;
  });
}
// wrk on CPU 0 (taskset's argv): one thread, conns keep-alive connections
function wrkArgs(port, conns, seconds) {
  return ['-c', '0', 'wrk', '-t1', `-c${conns}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`];
}
// req/s and requests done, from wrk's report
function wrkNumbers(text) {
  return { rps: Number((text.match(/Requests\/sec:\s+([\d.]+)/) || [])[1]), reqs: Number((text.match(/(\d+) requests in/) || [])[1]) };
}
function wrkRun(port, conns, seconds) {
  return new Promise((resolve) => {
    const w = spawn('taskset', wrkArgs(port, conns, seconds), { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    w.stdout.setEncoding('utf8');
    w.stdout.on('data', (d) => { out += d; });
    w.on('exit', () => resolve(wrkNumbers(out)));
  });
}
// One side-by-side run of cfg on twin `watched` (the other bare). Returns
// each twin's CPU ns per request and req/s, and what the observer counted.
async function runTwin(twins, cfg, watched, seconds, conns) {
  const daemon = cfg.daemon ? await startDaemon(cfg.daemon, `exclude_exe = ${twins[1 - watched]}\n`) : null;
  const servers = [];
  const out = path.join(TMP, `twin-trace-${Date.now()}.jsonl`);
  let tracer = null;
  let counted = null;
  let runs, cpu0, cpu1;
  try {
    for (const [i, bin] of twins.entries()) {
      const child = spawn('taskset', ['-c', '1', bin, ...(i === watched ? cfg.node : []), path.join(W, 'http.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
      servers.push({ child });
      const [, pid, port] = (await lineReader(child.stdout)(/^ready \d+ \d+/)).split(' ').map(Number);
      Object.assign(servers[i], { pid, port });
    }
    const target = servers[watched];
    tracer = cfg.tracer ? await startTracer(cfg, target.pid, out) : null;
    let base = null;
    if (daemon) {
      await daemon.next(new RegExp(`watching process ${target.pid} `));
      base = daemonSummary(await scrape(daemon.port), target.pid);
    }
    await Promise.all(servers.map((x) => wrkRun(x.port, conns, 1))); // warm-up
    cpu0 = servers.map((x) => processCpuNs(x.pid));
    runs = await Promise.all(servers.map((x) => wrkRun(x.port, conns, seconds)));
    cpu1 = servers.map((x) => processCpuNs(x.pid));
    if (daemon) {
      const text = await scrape(daemon.port);
      const d = daemonDelta(base, daemonSummary(text, target.pid));
      counted = { events: d.events, observed_s: d.observed_s, lost: d.lost, self_cpu_ms: d.self_cpu_us / 1000,
        other_events: daemonSummary(text, servers[1 - watched].pid).events };
    }
  } finally {
    // on an error too: a daemon left running would hold the next run's port
    for (const x of [daemon, ...servers]) if (x) { x.child.kill('SIGTERM'); await exited(x.child); }
  }
  if (tracer) {
    await exited(tracer);
    const sum = readSummary(out);
    fs.rmSync(out, { force: true });
    // warm-up included, as in runHttp's events per request
    if (sum) counted = { events: sum.events, lost: sum.lost, self_cpu_ms: sum.self_cpu_us / 1000 };
  }
  return { cpu_ns_per_req: runs.map((r, i) => (cpu1[i] - cpu0[i]) / r.reqs), rps: runs.map((r) => r.rps), reqs: runs[watched].reqs, counted };
}
// cfgs: the configurations, each run beside a bare twin in every round for
// `seconds`, the daemon's for `period` (one whole sampling period: one
// window whatever its phase); the control pair (both bare) runs first.
async function twinBenchmark(title, node, cfgs, seconds, period, conns) {
  const twins = makeTwins(node);
  const all = [{ name: 'control: both twins bare', node: [] }, ...cfgs];
  const runs = all.map(() => []);
  for (let r = 0; r < opt.rounds; r++) {
    for (const [c, cfg] of all.entries()) {
      const w = r % 2;
      try {
        const x = await runTwin(twins, cfg, w, cfg.daemon ? period : seconds, conns);
        runs[c].push({ cpu: x.cpu_ns_per_req[w] / x.cpu_ns_per_req[1 - w], rps: x.rps[w] / x.rps[1 - w],
          events_per_req: x.counted ? x.counted.events / x.reqs : null, ...(x.counted || {}) });
      } catch (e) {
        log(`${title} / ${cfg.name}: ${e.message}`);
      }
    }
    log(`${title}: round ${r + 1}/${opt.rounds} done`);
  }
  for (const t of twins) fs.rmSync(path.dirname(t), { recursive: true, force: true });
  const spread = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) });
  const med = (xs, k) => { const v = xs.map((x) => x[k]).filter((y) => Number.isFinite(y)); return v.length ? median(v) : null; };
  return {
    title, twin: all.map((cfg, c) => ({
      config: cfg.name, n: runs[c].length, cpu: spread(runs[c].map((x) => x.cpu)), rps: spread(runs[c].map((x) => x.rps)),
      events_per_req: med(runs[c], 'events_per_req'), observed_s: med(runs[c], 'observed_s'), self_cpu_ms: med(runs[c], 'self_cpu_ms'),
      other_events: cfg.daemon ? Math.max(...runs[c].map((x) => x.other_events)) : null,
      lost: runs[c].some((x) => x.lost != null) ? Math.max(...runs[c].map((x) => x.lost ?? 0)) : null,
    })),
  };
}
// The twins' configurations: what costs the target most or least.
const twinConfigs = () => [
  { name: 'async_hooks no-op hook', node: ['-r', path.join(P, 'hook.js')] },
  { name: 'trap floor (empty programs on the default sites)', node: [], tracer: ['--js', 'default'], env: { ASYNCSCOPE_BENCH_EMPTY_PROGRAMS: '1' } },
  { name: 'asyncscope trace, default (node + js default)', node: [], tracer: ['--js', 'default'] },
  { name: 'asyncscope daemon, default (sampled)', node: [], daemon: 'sampled' },
];

// One run of the HTTP benchmark: {value (req/s), ops (requests), cpu_ns_per_op,
// summary, progs (with opts.bpfStats: what each probe program ran)}
async function runHttp(node, cfg, seconds, conns, opts = {}) {
  const daemon = cfg.daemon ? await startDaemon(cfg.daemon) : null;
  const child = spawn('taskset', ['-c', '1', node, ...cfg.node, path.join(W, 'http.js')],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const next = lineReader(child.stdout);
  const [, pid, port] = (await next(/^ready \d+ \d+/)).split(' ').map(Number);
  const out = path.join(TMP, `trace-${Date.now()}.jsonl`);
  const tracer = cfg.tracer ? await startTracer(cfg, pid, out) : null;
  // counted from here on, as a tracer attached here would (its start-up CPU excluded)
  let daemonBase = null;
  if (daemon) {
    await daemon.next(new RegExp(`watching process ${pid} `));
    daemonBase = daemonSummary(await scrape(daemon.port), pid);
  }
  spawnSync('taskset', wrkArgs(port, conns, 1), { encoding: 'utf8', timeout: 3000 }); // warm-up
  const progs0 = opts.bpfStats ? bpfProgStats() : null;
  const cpu0 = processCpuNs(pid);
  const r = spawnSync('taskset', wrkArgs(port, conns, seconds), { encoding: 'utf8' });
  const cpu1 = processCpuNs(pid);
  const progs = opts.bpfStats ? bpfDelta(progs0, bpfProgStats()) : null;
  const { rps, reqs } = wrkNumbers(r.stdout);
  let summary = null;
  if (daemon) {
    const end = daemonSummary(await scrape(daemon.port), pid);
    summary = daemonDelta(daemonBase, end);
    daemon.child.kill('SIGTERM');
    await exited(daemon.child);
  }
  child.kill('SIGTERM');
  await exited(child);
  if (tracer) {
    await exited(tracer);
    summary = readSummary(out);
    fs.rmSync(out, { force: true });
  }
  // events per request over the whole traced window (warm-up included)
  return { value: rps, ops: reqs, cpu_ns_per_op: (cpu1 - cpu0) / reqs, summary, progs };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };

async function benchmark(title, unit, higherIsBetter, node, cfgs, runOne) {
  const runs = cfgs.map(() => []);
  for (let r = 0; r < opt.rounds; r++) {
    for (let c = 0; c < cfgs.length; c++) {
      try {
        runs[c].push(await runOne(cfgs[c]));
      } catch (e) {
        log(`${title} / ${cfgs[c].name}: ${e.message}`);
      }
    }
    log(`${title}: round ${r + 1}/${opt.rounds} done`);
  }
  const bare = median(runs[0].map((x) => x.value));
  return {
    title, unit, higher_is_better: higherIsBetter,
    rows: cfgs.map((cfg, c) => {
      const vals = runs[c].map((x) => x.value).filter((v) => Number.isFinite(v));
      const sums = runs[c].map((x) => x.summary).filter(Boolean);
      const med = vals.length ? median(vals) : NaN;
      const row = { config: cfg.name, median: med, min: Math.min(...vals), max: Math.max(...vals), n: vals.length, ratio: med / bare };
      const cpus = runs[c].map((x) => x.cpu_ns_per_op).filter((v) => Number.isFinite(v));
      if (cpus.length) {
        row.cpu_us_per_op = median(cpus) / 1000;
        const bareCpu = median(runs[0].map((x) => x.cpu_ns_per_op).filter((v) => Number.isFinite(v)));
        row.cpu_ratio = median(cpus) / bareCpu;
      }
      if (sums.length) {
        const ops = median(runs[c].map((x) => x.ops));
        const events = median(sums.map((s) => s.events));
        row.events = events;
        row.lost = Math.max(...sums.map((s) => s.lost));
        row.self_cpu_ms = median(sums.map((s) => s.self_cpu_us / 1000));
        row.self_maxrss_mb = Math.max(...sums.map((s) => s.self_maxrss_kb / 1024));
        row.bytes_per_event = median(sums.map((s) => (s.events ? s.bytes / s.events : 0)));
        // what asyncscope's own pipeline (ring buffer -> JSONL file) handles per
        // CPU second, from this real target
        row.events_per_cpu_s = median(sums.map((s) => (s.self_cpu_us ? (s.events * 1e6) / s.self_cpu_us : 0)));
        row.events_per_op = events / ops;
        // target time added per event: from the medians, per operation
        const perOpBare = higherIsBetter ? 1e9 / bare : (bare * 1e6) / ops;
        const perOpCfg = higherIsBetter ? 1e9 / med : (med * 1e6) / ops;
        // meaningless when events are too rare to carry the difference
        row.ns_per_event = row.events_per_op >= 0.05 ? (perOpCfg - perOpBare) / row.events_per_op : null;
      }
      return row;
    }),
  };
}

function fmt(x, d = 1) { return Number.isFinite(x) ? x.toFixed(d) : '—'; }

function markdown(results, meta) {
  const out = [];
  out.push('# asyncscope benchmarks', '');
  out.push(`Written by \`make bench\` (tools/bench/bench.js) on ${meta.date}. Do not edit by hand.`, '');
  out.push(`- machine: ${meta.cpu}, ${meta.cpus} CPUs, ${meta.mem_gb} GiB; kernel ${meta.kernel}`);
  out.push(`- node: ${meta.nodes.join(', ')}; wrk ${meta.wrk}`);
  out.push(`- ${opt.rounds} interleaved rounds per configuration; median [min–max]; ratio = median / median of bare`);
  out.push('- target pinned to CPU 1; wrk and asyncscope on CPU 0; tracers attach with -p before the timed work', '');
  for (const r of results) {
    out.push(`## ${r.title}`, '');
    if (r.report) {
      out.push(`Capture: ${r.capture.events.toLocaleString('en-US')} events, ${r.capture.resources.toLocaleString('en-US')} resources; ` +
        `.asr ${fmt(r.capture.asr_bytes / 2 ** 20, 1)} MiB vs JSONL ${fmt(r.capture.jsonl_bytes / 2 ** 20, 1)} MiB ` +
        `(${fmt(r.capture.jsonl_bytes / r.capture.asr_bytes, 1)}× smaller, ${fmt(r.capture.asr_bytes / r.capture.events, 2)} bytes/event).`, '');
      out.push('| report | wall s, median [min–max] | events per second | peak RSS MiB | output MiB |', '|---|---|---|---|---|');
      for (const x of r.report) out.push(`| ${x.what} | ${fmt(x.wall_s, 2)} [${fmt(x.min, 2)}–${fmt(x.max, 2)}] | ${Math.round(r.capture.events / x.wall_s).toLocaleString('en-US')} | ${fmt(x.rss_mb, 0)} | ${fmt(x.out_bytes / 2 ** 20, 1)} |`);
      out.push('');
      continue;
    }
    if (r.daemon) {
      out.push('| what | count | daemon CPU ms, median [min–max] | per item µs | daemon RSS MiB before → after | links before → after | lost |', '|---|---|---|---|---|---|---|');
      for (const x of r.daemon) out.push(`| ${x.what} | ${x.count} | ${fmt(x.cpu_ms, 1)} [${fmt(x.min, 1)}–${fmt(x.max, 1)}] | ${fmt((x.cpu_ms * 1000) / x.count, 0)} | ${fmt(x.rss0, 1)} → ${fmt(x.rss1, 1)} | ${x.links0} → ${x.links1} | ${x.lost} |`);
      out.push('');
      continue;
    }
    if (r.ingest) {
      const what = { count: 'decode only (ring buffer → events)', jsonl: 'ring buffer → JSONL file', asr: 'ring buffer → .asr capture file' };
      out.push('| sink | events per consumer CPU-second, median [min–max] | lost |', '|---|---|---|');
      for (const x of r.ingest) out.push(`| ${what[x.sink] || x.sink} | ${Math.round(x.events_per_cpu_s).toLocaleString('en-US')} [${Math.round(x.min).toLocaleString('en-US')}–${Math.round(x.max).toLocaleString('en-US')}] | ${x.lost} |`);
      out.push('');
      continue;
    }
    if (r.parts) {
      const empty = r.parts.find((x) => x.program === 'empty') || { bpf_ns: 0, hit_ns: 0 };
      out.push('BPF ns/run is run_time_ns / run_cnt; hit ns is the wall time a probed call adds (trap, program, return), as the program runs in a hot loop.', '');
      out.push('| program | BPF ns/run | over the empty program | hit ns | over the empty program |', '|---|---|---|---|---|');
      for (const x of r.parts) out.push(`| ${x.program} | ${fmt(x.bpf_ns, 0)} | ${x.program === 'empty' ? '—' : '+' + fmt(x.bpf_ns - empty.bpf_ns, 0)} | ${fmt(x.hit_ns, 0)} | ${x.program === 'empty' ? '—' : fmt(x.hit_ns - empty.hit_ns, 0)} |`);
      out.push('');
      continue;
    }
    if (r.twin) {
      out.push('Each configuration runs on one twin while the other stays bare, in the same seconds; the ratio is the configured twin\'s to the bare one\'s: target CPU per request (all its threads, schedstat) and req/s; median [min–max] over the rounds.', '');
      out.push('| configuration | rounds | CPU per request vs bare twin | req/s vs bare twin | events per request | observed s per run | events counted of the bare twin | observer CPU ms per run | lost |', '|---|---|---|---|---|---|---|---|---|');
      const pct = (x) => `${x >= 1 ? '+' : ''}${fmt((x - 1) * 100, 1)}%`;
      for (const x of r.twin) {
        out.push(`| ${x.config} | ${x.n} | ${pct(x.cpu.median)} [${pct(x.cpu.min)}..${pct(x.cpu.max)}] | ${pct(x.rps.median)} [${pct(x.rps.min)}..${pct(x.rps.max)}] | ${x.events_per_req == null ? '—' : fmt(x.events_per_req, 3)} | ${x.observed_s == null ? '—' : fmt(x.observed_s, 2)} | ${x.other_events ?? '—'} | ${x.self_cpu_ms == null ? '—' : fmt(x.self_cpu_ms, 0)} | ${x.lost ?? '—'} |`);
      }
      out.push('');
      continue;
    }
    if (r.probes) {
      out.push('| configuration | hits/request | BPF µs/request | program | runs/request | ns/run |', '|---|---|---|---|---|---|');
      for (const c of r.probes) {
        c.programs.forEach((x, i) => out.push(`| ${i ? '' : c.config} | ${i ? '' : fmt(c.hits_per_op, 2)} | ${i ? '' : fmt(c.bpf_ns_per_op / 1000, 2)} | ${x.name} | ${fmt(x.runs_per_op, 2)} | ${fmt(x.ns_per_run, 0)} |`));
      }
      out.push('');
      continue;
    }
    const withCpu = r.rows.some((row) => row.cpu_us_per_op != null);
    out.push(`| configuration | ${r.unit} median [min–max] | vs bare |${withCpu ? ' target CPU µs/op (vs bare) |' : ''} events/op | target ns/event | lost | asyncscope CPU ms | events per asyncscope CPU-s | peak RSS MiB | bytes/event (JSONL) |`);
    out.push(`|---|---|---|${withCpu ? '---|' : ''}---|---|---|---|---|---|---|`);
    for (const row of r.rows) {
      const ratio = r.higher_is_better ? `${fmt((row.ratio - 1) * 100, 0)}%` : `${fmt(row.ratio, 2)}×`;
      const cpu = withCpu ? ` ${fmt(row.cpu_us_per_op, 1)} (${row.cpu_ratio >= 1 ? '+' : ''}${fmt((row.cpu_ratio - 1) * 100, 0)}%) |` : '';
      out.push(`| ${row.config} | ${fmt(row.median, r.higher_is_better ? 0 : 1)} [${fmt(row.min, r.higher_is_better ? 0 : 1)}–${fmt(row.max, r.higher_is_better ? 0 : 1)}] | ${ratio} |${cpu} ${fmt(row.events_per_op, 2)} | ${row.ns_per_event == null ? '—' : fmt(row.ns_per_event, 0)} | ${row.lost ?? '—'} | ${fmt(row.self_cpu_ms, 0)} | ${row.events_per_cpu_s ? Math.round(row.events_per_cpu_s).toLocaleString('en-US') : '—'} | ${fmt(row.self_maxrss_mb, 0)} | ${fmt(row.bytes_per_event, 0)} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

async function main() {
  if (process.getuid() !== 0) { console.error('bench: needs root (sudo make bench)'); process.exit(1); }
  const want = (k) => !opt.only || opt.only.includes(k);
  const majors = nodeMajors();
  const results = [];
  const meta = {
    date: new Date().toISOString(),
    kernel: os.release(),
    cpu: (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1],
    cpus: os.cpus().length,
    mem_gb: Math.round(os.totalmem() / 2 ** 30),
    nodes: majors.map((m) => spawnSync(nodeBin(m), ['-v'], { encoding: 'utf8' }).stdout.trim()),
    wrk: (spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.match(/wrk (\S+)/) || [])[1],
  };
  const httpSeconds = opt.quick ? 1 : 2;
  if (want('http')) {
    for (const m of majors) {
      const node = nodeBin(m);
      for (const conns of [8, 32]) {
        results.push(await benchmark(`HTTP keep-alive, node ${m} (wrk -t1 -c${conns}, ${httpSeconds} s)`, 'req/s', true, node,
          configs(node, m === majors[majors.length - 1] && conns === 32, true), (cfg) => runHttp(node, cfg, httpSeconds, conns)));
      }
    }
  }
  if (want('probes')) {
    // where the probes' time goes: kernel.bpf_stats_enabled for one run of
    // each observer configuration (stats cost a clock read per run, so the
    // throughput rounds above run without them); run_time_ns / run_cnt is
    // the program alone, the trap comes on top (see the trap floor rows)
    const old = fs.readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();
    fs.writeFileSync('/proc/sys/kernel/bpf_stats_enabled', '1');
    try {
      // the parts a probe is made of, one program each, on a C loop here
      // (tools/bench/probe_cost.c): what is reachable per program at best
      const parts = new Map();
      for (let r = 0; r < opt.rounds; r++) {
        const out = spawnSync('taskset', ['-c', '1', path.join(TOP, '.output/probe-cost'), '--calls', opt.quick ? '200000' : '1000000'], { encoding: 'utf8' });
        if (out.status !== 0) { log(`probe-cost: ${out.stderr.trim()}`); continue; }
        for (const l of out.stdout.trim().split('\n')) {
          const x = JSON.parse(l);
          if (!parts.has(x.program)) parts.set(x.program, { bpf: [], hit: [] });
          parts.get(x.program).bpf.push(x.bpf_ns_per_run);
          parts.get(x.program).hit.push(x.hit_ns);
        }
      }
      if (parts.size) {
        const rows = [...parts].map(([program, v]) => ({ program, bpf_ns: median(v.bpf), hit_ns: median(v.hit) }));
        results.push({ title: 'Probe parts: one program per helper on a C loop (tools/bench/probe_cost.c, bpf_stats on, uprobe_multi, push %rbp sites)', parts: rows });
      }
      for (const m of majors) {
        const node = nodeBin(m);
        const probes = [];
        for (const cfg of configs(node, false, true).filter((c) => c.tracer || c.daemon)) {
          const runs = [];
          for (let r = 0; r < Math.min(opt.rounds, 3); r++) runs.push(await runHttp(node, cfg, httpSeconds, 8, { bpfStats: true }));
          const ops = runs.reduce((a, x) => a + x.ops, 0);
          const byName = new Map();
          for (const x of runs) for (const [name, v] of x.progs) {
            const t = byName.get(name) || { cnt: 0, ns: 0 };
            t.cnt += v.cnt; t.ns += v.ns; byName.set(name, t);
          }
          const programs = [...byName].map(([name, v]) => ({ name, runs_per_op: v.cnt / ops, ns_per_run: v.ns / v.cnt }))
            .filter((x) => x.runs_per_op >= 0.005).sort((a, b) => b.runs_per_op - a.runs_per_op);
          probes.push({ config: cfg.name, programs, hits_per_op: programs.reduce((a, x) => a + x.runs_per_op, 0),
            bpf_ns_per_op: programs.reduce((a, x) => a + x.runs_per_op * x.ns_per_run, 0) });
        }
        results.push({ title: `Probe programs, node ${m}: BPF time per run and runs per request (bpf_stats, HTTP keep-alive, wrk -c8)`, probes });
        log(`probe programs, node ${m}: done`);
      }
    } finally {
      fs.writeFileSync('/proc/sys/kernel/bpf_stats_enabled', old);
    }
  }
  if (want('twins')) {
    // side by side with a bare twin: the in-process hook, the trap alone,
    // trace's default mode and the daemon's
    const period = samplePeriodSeconds();
    const seconds = opt.quick ? 2 : 4;
    for (const m of majors) {
      const node = nodeBin(m);
      for (const conns of [8, 32])
        results.push(await twinBenchmark(`HTTP keep-alive beside a bare twin, node ${m} (wrk -t1 -c${conns} each; ${seconds} s runs, the daemon's ${period} s)`,
          node, twinConfigs(), seconds, period, conns));
    }
  }
  const microNode = nodeBin(majors[majors.length - 1]);
  const micro = [
    ['fsstat', 'fs.stat, 32 in flight', { N: opt.quick ? '10000' : '40000' }],
    ['timers', 'timers + setImmediate + nextTick churn', { ROUNDS: opt.quick ? '30' : '100' }],
    ['awaits', 'async/await loop', { N: opt.quick ? '100000' : '300000' }],
  ];
  for (const [w, title, env] of micro) {
    if (!want(w)) continue;
    results.push(await benchmark(`${title}, node ${majors[majors.length - 1]} (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})`,
      'ms', false, microNode, configs(microNode), (cfg) => runMicro(microNode, cfg, `${w}.js`, env)));
  }
  if (want('uvstat')) {
    const prog = path.join(TMP, 'uvstat');
    execFileSync('gcc', ['-O2', '-o', prog, path.join(W, 'uvstat.c'), '-luv']);
    const env = { N: opt.quick ? '20000' : '100000' };
    results.push(await benchmark(`libuv C program: uv_fs_stat, 32 in flight, + timers + loopback TCP ping-pong (N=${env.N})`, 'ms', false, null,
      uvConfigs(), (cfg) => runMicro(null, cfg, prog, env)));
  }
  if (want('ingest')) {
    // user space alone: a BPF producer (bpf/synth.bpf.c) as fast as the ring
    // allows, drained through the real ingest path into each sink
    const n = opt.quick ? '1000000' : '5000000';
    const rows = [];
    for (const sink of ['count', 'jsonl', 'asr']) {
      const runs = [];
      for (let r = 0; r < opt.rounds; r++) {
        const out = spawnSync('taskset', ['-c', '0', path.join(TOP, '.output/ingest-bench'), '--events', n, '--sink', sink,
          '--output', path.join(TMP, `ingest.${sink}`)], { encoding: 'utf8' });
        if (out.status !== 0) { log(`ingest ${sink}: ${out.stderr.trim()}`); continue; }
        runs.push(JSON.parse(out.stdout));
        fs.rmSync(path.join(TMP, `ingest.${sink}`), { force: true });
      }
      const med = (k) => median(runs.map((x) => x[k]));
      rows.push({ sink, events: med('events'), lost: Math.max(...runs.map((x) => x.lost)), events_per_cpu_s: med('events_per_cpu_s'),
        min: Math.min(...runs.map((x) => x.events_per_cpu_s)), max: Math.max(...runs.map((x) => x.events_per_cpu_s)) });
    }
    results.push({ title: `User-space ingestion: synthetic producer (bpf/synth.bpf.c), ${n} events per run`, ingest: rows });
  }
  if (want('daemon')) {
    // what following the host costs the daemon itself: execs of a plain
    // program (looked at, not probed) and short node processes in a row
    // (each counted; its state freed at exit), daemon CPU from /metrics
    const node = nodeBin(majors[majors.length - 1]);
    const nExec = opt.quick ? 500 : 2000, nNode = opt.quick ? 50 : 200;
    const selfOf = (text) => {
      const v = (name) => Number((text.match(new RegExp(`^${name} (\\S+)$`, 'm')) || [])[1]);
      return { cpu: v('asyncscope_daemon_cpu_seconds_total'), rss: v('asyncscope_daemon_resident_memory_bytes'),
        links: v('asyncscope_daemon_links'), lost: v('asyncscope_daemon_events_lost_total') };
    };
    const runs = { exec: [], node: [] };
    for (let r = 0; r < opt.rounds; r++) {
      const d = await startDaemon('exact');
      // the node binary probed once before the timed part, as on a host running it
      spawnSync(node, ['-e', '0']);
      await new Promise((ok) => setTimeout(ok, 500));
      const a = selfOf(await scrape(d.port));
      for (let i = 0; i < nExec; i++) spawnSync('/bin/true');
      await new Promise((ok) => setTimeout(ok, 500));
      const b = selfOf(await scrape(d.port));
      for (let i = 0; i < nNode; i++) spawnSync(node, ['-e', 'require("fs").stat(".", () => {})']);
      await new Promise((ok) => setTimeout(ok, 1000));
      const c = selfOf(await scrape(d.port));
      runs.exec.push({ cpu_ms: (b.cpu - a.cpu) * 1000, rss0: a.rss, rss1: b.rss, links0: a.links, links1: b.links, lost: b.lost });
      runs.node.push({ cpu_ms: (c.cpu - b.cpu) * 1000, rss0: b.rss, rss1: c.rss, links0: b.links, links1: c.links, lost: c.lost });
      d.child.kill('SIGTERM');
      await exited(d.child);
      log(`daemon: round ${r + 1}/${opt.rounds} done`);
    }
    const row = (what, count, xs) => ({
      what, count, cpu_ms: median(xs.map((x) => x.cpu_ms)), min: Math.min(...xs.map((x) => x.cpu_ms)), max: Math.max(...xs.map((x) => x.cpu_ms)),
      rss0: median(xs.map((x) => x.rss0)) / 2 ** 20, rss1: median(xs.map((x) => x.rss1)) / 2 ** 20,
      links0: xs[0].links0, links1: xs[0].links1, lost: Math.max(...xs.map((x) => x.lost)),
    });
    results.push({ title: `Daemon: following the host (exec and exit discovery, per-process state; exact mode)`, daemon: [
      row('execs of /bin/true (not node, not libuv)', nExec, runs.exec),
      row(`short node ${majors[majors.length - 1]} processes in a row (fs.stat each)`, nNode, runs.node),
    ] });
  }
  if (want('report')) {
    // offline reports: a real capture (HTTP without keep-alive under wrk,
    // recorded with `record -p`) and a synthetic one from the ingest bench
    // (one 250,000-deep trigger chain: the worst case for tree walks)
    const node = nodeBin(majors[majors.length - 1]);
    const real = path.join(TMP, 'real.asr'), synth = path.join(TMP, 'synth.asr');
    const child = spawn('taskset', ['-c', '1', node, path.join(W, 'http.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [, pid, port] = (await lineReader(child.stdout)(/^ready \d+ \d+/)).split(' ').map(Number);
    const rec = spawn('taskset', ['-c', '0', ASYNCSCOPE, 'record', '-p', String(pid), '-o', real], { stdio: ['ignore', 'ignore', 'pipe'] });
    await lineReader(rec.stderr)(/attached \d+ probes/);
    spawnSync('taskset', ['-c', '0', 'wrk', '-t1', '-c32', `-d${opt.quick ? 3 : 8}s`, '-H', 'Connection: close',
      `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
    rec.kill('SIGINT');
    await exited(rec);
    child.kill('SIGTERM');
    await exited(child);
    const syn = spawnSync(path.join(TOP, '.output/ingest-bench'), ['--events', '1000000', '--sink', 'asr', '--output', synth], { encoding: 'utf8' });
    if (syn.status !== 0) log(`synthetic capture: ${syn.stderr.trim()}`);
    const views = [['summary (text)', ['--view', 'summary']], ['tree (text)', ['--view', 'tree']],
      ['top (json)', ['--view', 'top', '--format', 'json']], ['timeline (chrome)', ['--format', 'chrome']],
      ['folded', ['--format', 'folded']], ['html', ['--format', 'html']], ['events (jsonl)', ['--format', 'jsonl']]];
    for (const [label, file] of [['real: node HTTP, Connection: close, recorded with record -p', real], ['synthetic: one 250,000-deep trigger chain', synth]]) {
      if (!fs.existsSync(file)) continue;
      const stats = JSON.parse(spawnSync(ASYNCSCOPE, ['report', '-q', file, '--view', 'stats', '--format', 'json'], { encoding: 'utf8' }).stdout);
      const out = path.join(TMP, 'report.out');
      const rows = [];
      let jsonlBytes = 0;
      for (const [what, a] of views) {
        const runs = [];
        for (let r = 0; r < opt.rounds; r++) {
          const t = spawnSync('/usr/bin/time', ['-f', '%e %M', ASYNCSCOPE, 'report', '-q', file, ...a, '-o', out], { encoding: 'utf8' });
          const m = t.stderr.trim().split('\n').pop().split(' ').map(Number);
          if (t.status !== 0) { log(`report ${what}: ${t.stderr.trim()}`); continue; }
          runs.push({ wall_s: m[0], rss_mb: m[1] / 1024, out_bytes: fs.statSync(out).size });
        }
        if (!runs.length) continue;
        if (what.startsWith('events')) jsonlBytes = runs[0].out_bytes;
        rows.push({ what, wall_s: median(runs.map((x) => x.wall_s)), min: Math.min(...runs.map((x) => x.wall_s)),
          max: Math.max(...runs.map((x) => x.wall_s)), rss_mb: Math.max(...runs.map((x) => x.rss_mb)), out_bytes: runs[0].out_bytes });
      }
      fs.rmSync(out, { force: true });
      results.push({ title: `Offline report, ${label}`, report: rows,
        capture: { events: stats.events.total, resources: stats.resources, asr_bytes: fs.statSync(file).size, jsonl_bytes: jsonlBytes } });
      log(`report on ${label}: done`);
    }
  }
  fs.mkdirSync(opt.out, { recursive: true });
  fs.writeFileSync(path.join(opt.out, 'results.json'), JSON.stringify({ meta, rounds: opt.rounds, results }, null, 2) + '\n');
  fs.writeFileSync(path.join(opt.out, 'results.md'), markdown(results, meta) + '\n');
  fs.rmSync(TMP, { recursive: true, force: true });
  log(`wrote ${path.join(opt.out, 'results.md')} and results.json`);
}

main().catch((e) => { console.error(`bench: ${e.stack}`); process.exit(1); });
