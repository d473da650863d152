// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Checks the daemon's /metrics scrapes.
//   lint FILE                       well-formed Prometheus text (families, histograms)
//   node BASE FINAL PID TRUTH_JSON  per-type deltas == in-process async_hooks counts,
//                                   and the slow phase's durations in the histograms
//   uv BASE FINAL PID N             a uvloop echo of N clients: its libuv shape
//   mono BASE FINAL                 no counter went down between two scrapes
//   gone FILE PID...                no series of these processes is left
//   has FILE PID TYPE               the process has a series of TYPE with init > 0
//   rates EB EF SB SF MIN PID...    per type and event, the sampled daemon's estimate
//                                   (events / observed seconds, scrapes SB -> SF) is
//                                   within 10% of the exact one's rate (EB -> EF), for
//                                   every pair the exact one counted MIN times or more
//   sampled FILE PID...             what sampled mode promises: no resources_alive,
//                                   after <= before, every after with a duration
//   exited FILE N PID...            each process shown as exited with N FSREQCALLBACK
//                                   inits (its final counts)
//   partial FILE N PID...           (sampled) those shown are exited, with <= N inits
//   exits BASE FINAL EXE N          N more exits of EXE counted
//   delta BASE FINAL PID TYPE EVENT prints how many more EVENTs of TYPE were counted
'use strict';
const fs = require('fs');

const KINDS = ['init', 'before', 'after', 'destroy'];
const BUILTIN_JS = new Set(['Timeout', 'Immediate', 'TickObject', 'PROMISE', 'Microtask']);

function parseLabels(s) {
  const out = {};
  const re = /(\w+)="((?:[^"\\]|\\.)*)"/g;
  let m;
  while ((m = re.exec(s))) out[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
  return out;
}

function parse(file) {
  const samples = [];
  const help = new Set();
  const types = new Map();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    let m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (m) {
      if (m[1] === 'HELP') help.add(m[2]);
      else types.set(m[2], m[3]);
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error('malformed line: ' + line);
    samples.push({ name: m[1], labels: parseLabels(m[3] || ''), raw: m[3] || '', value: Number(m[4]) });
  }
  return { samples, help, types };
}

// pid -> "layer/type" -> [init, before, after, destroy]
function eventCounts(file) {
  const out = new Map();
  for (const s of parse(file).samples) {
    if (s.name !== 'asyncscope_events_total') continue;
    const pid = +s.labels.pid;
    if (!out.has(pid)) out.set(pid, new Map());
    const key = s.labels.type;
    const per = out.get(pid);
    if (!per.has(key)) per.set(key, [0, 0, 0, 0]);
    per.get(key)[KINDS.indexOf(s.labels.event)] = s.value;
  }
  return out;
}

// pid -> value of a per-process family (no type label)
function perProc(file, name) {
  const out = new Map();
  for (const s of parse(file).samples) if (s.name === name) out.set(+s.labels.pid, s.value);
  return out;
}

function deltas(base, fin, pid) {
  const b = eventCounts(base).get(pid) || new Map();
  const f = eventCounts(fin).get(pid) || new Map();
  const out = new Map();
  for (const [type, v] of f) {
    const o = b.get(type) || [0, 0, 0, 0];
    const d = v.map((x, i) => x - o[i]);
    if (d.some((x) => x !== 0)) out.set(type, d);
  }
  return out;
}

function lint(file) {
  const { samples, help, types } = parse(file);
  const errors = [];
  const seen = new Set();
  const family = (name) => {
    for (const suf of ['_bucket', '_sum', '_count'])
      if (name.endsWith(suf) && types.get(name.slice(0, -suf.length)) === 'histogram')
        return name.slice(0, -suf.length);
    return name;
  };
  const hist = new Map();
  for (const s of samples) {
    const fam = family(s.name);
    if (!help.has(fam) || !types.has(fam)) errors.push('no HELP/TYPE for ' + s.name);
    const id = s.name + '{' + s.raw + '}';
    if (seen.has(id)) errors.push('duplicate series ' + id);
    seen.add(id);
    if (!Number.isFinite(s.value) || s.value < 0) errors.push('bad value ' + id);
    if (types.get(fam) === 'histogram') {
      const { le, ...rest } = s.labels;
      const key = fam + JSON.stringify(rest);
      if (!hist.has(key)) hist.set(key, { buckets: [], count: null });
      const h = hist.get(key);
      if (s.name.endsWith('_bucket')) h.buckets.push([le, s.value]);
      if (s.name.endsWith('_count')) h.count = s.value;
    }
  }
  for (const [key, h] of hist) {
    for (let i = 1; i < h.buckets.length; i++)
      if (h.buckets[i][1] < h.buckets[i - 1][1]) errors.push('buckets not cumulative: ' + key);
    const last = h.buckets[h.buckets.length - 1];
    if (!last || last[0] !== '+Inf' || last[1] !== h.count) errors.push('+Inf != _count: ' + key);
  }
  if (!samples.length) errors.push('no samples');
  return errors;
}

const [mode, ...args] = process.argv.slice(2);
let bad = [];
if (mode === 'lint') {
  bad = lint(args[0]);
  if (!bad.length) console.log(`well-formed (${parse(args[0]).samples.length} samples)`);
} else if (mode === 'node') {
  const [base, fin, pid, truthFile] = args;
  const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
  const d = deltas(base, fin, +pid);
  let types = 0, events = 0;
  for (const [type, want] of Object.entries(truth)) {
    if (BUILTIN_JS.has(type)) continue;
    const got = d.get(type) || [0, 0, 0, 0];
    types++;
    events += want.reduce((a, b) => a + b, 0);
    if (got.join() !== want.join()) bad.push(`${type}: daemon ${got.join('/')} != async_hooks ${want.join('/')}`);
  }
  // native types the daemon counted that the workload's hook never saw made
  const extra = [...d.keys()].filter((t) => !(t in truth));
  for (const t of extra) {
    // resources made before the hook (stdin's pipe reading "go"): callbacks only
    const v = d.get(t);
    if (v[0] !== 0) bad.push(`${t}: ${v[0]} inits the workload never made`);
  }
  // daemon_app.js's slow phase: three 20 ms FSREQCALLBACK callbacks, three
  // queue delays >= 20 ms, 60 ms of event-loop time at least
  const at = (file, name, le) => {
    const s = parse(file).samples.find((x) => x.name === name && x.labels.pid === pid &&
      x.labels.type === 'FSREQCALLBACK' && (le === undefined || x.labels.le === le));
    return s ? s.value : 0;
  };
  const over16ms = (file, fam) => at(file, fam + '_count') - at(file, fam + '_bucket', '0.016384');
  const slowCb = over16ms(fin, 'asyncscope_callback_duration_seconds') - over16ms(base, 'asyncscope_callback_duration_seconds');
  const slowQueue = over16ms(fin, 'asyncscope_queue_delay_seconds') - over16ms(base, 'asyncscope_queue_delay_seconds');
  const maxCb = at(fin, 'asyncscope_callback_duration_max_seconds');
  const loop = (file) => (parse(file).samples.find((x) => x.name === 'asyncscope_event_loop_callback_seconds_total' &&
    x.labels.pid === pid) || { value: 0 }).value;
  const loopDelta = loop(fin) - loop(base);
  if (slowCb < 3) bad.push(`callbacks over 16 ms: ${slowCb}, want >= 3 (three 20 ms ones)`);
  if (slowQueue < 3) bad.push(`queue delays over 16 ms: ${slowQueue}, want >= 3`);
  if (maxCb < 0.020) bad.push(`longest FSREQCALLBACK callback ${maxCb} s, want >= 0.020`);
  if (loopDelta < 0.060) bad.push(`event-loop time ${loopDelta.toFixed(3)} s, want >= 0.060`);
  if (!bad.length)
    console.log(`${types} native types, ${events} events equal to async_hooks; ` +
      `${slowCb} callbacks and ${slowQueue} queue delays over 16 ms, longest ${(maxCb * 1000).toFixed(1)} ms, ` +
      `loop time ${(loopDelta * 1000).toFixed(0)} ms` +
      (extra.length ? ` (callbacks of earlier resources also counted: ${extra.join(', ')})` : ''));
} else if (mode === 'delta') {
  const [base, fin, pid, type, event] = args;
  if (!KINDS.includes(event)) bad.push(`unknown event ${event} (${KINDS.join(', ')})`);
  else console.log((deltas(base, fin, +pid).get(type) || [0, 0, 0, 0])[KINDS.indexOf(event)]);
} else if (mode === 'uv') {
  const [base, fin, pid, n] = args;
  const d = deltas(base, fin, +pid);
  const conn = d.get('uv_connect') || [0, 0, 0, 0];
  const tcp = d.get('uv_tcp') || [0, 0, 0, 0];
  const N = +n;
  if (conn.join() !== [N, N, N, N].join()) bad.push(`uv_connect ${conn.join('/')} != ${N}/${N}/${N}/${N}`);
  // each client's socket and the one the listener accepted for it
  if (tcp[0] !== 2 * N) bad.push(`uv_tcp init ${tcp[0]} != ${2 * N}`);
  // every one of them closed, and the listener too
  if (tcp[3] !== 2 * N + 1) bad.push(`uv_tcp destroy ${tcp[3]} != ${2 * N + 1}`);
  // all of them closed: nothing of these types alive
  const alive = (type) => (parse(fin).samples.find((s) => s.name === 'asyncscope_resources_alive' &&
    s.labels.pid === pid && s.labels.type === type) || { value: NaN }).value;
  for (const t of ['uv_connect', 'uv_tcp'])
    if (alive(t) !== 0) bad.push(`${t} alive ${alive(t)} != 0`);
  if (!bad.length)
    console.log(`uv_connect ${conn.join('/')}, uv_tcp init ${tcp[0]} destroy ${tcp[3]}, none alive`);
} else if (mode === 'mono') {
  const [base, fin] = args;
  const b = parse(base), f = parse(fin);
  const counter = (p, name) => {
    for (const suf of ['', '_bucket', '_sum', '_count']) {
      const fam = suf ? name.slice(0, -suf.length) : name;
      if (name.endsWith(suf) && ['counter', 'histogram'].includes(p.types.get(fam))) return true;
    }
    return false;
  };
  const before = new Map(b.samples.filter((s) => counter(b, s.name)).map((s) => [s.name + '{' + s.raw + '}', s.value]));
  let n = 0;
  for (const s of f.samples) {
    const id = s.name + '{' + s.raw + '}';
    if (!before.has(id)) continue;
    n++;
    if (s.value < before.get(id)) bad.push(`${id} went down: ${before.get(id)} -> ${s.value}`);
  }
  if (!bad.length) console.log(`${n} counter series, none went down`);
} else if (mode === 'gone') {
  const [file, ...pids] = args;
  const left = parse(file).samples.filter((s) => pids.includes(s.labels.pid));
  if (left.length) bad.push(`${left.length} series left, e.g. ${left[0].name}{${left[0].raw}}`);
  else console.log(`no series of ${pids.length} processes left`);
} else if (mode === 'rates') {
  const [eb, ef, sb, sf, min, ...pids] = args;
  const obs = (b, f, pid) => (perProc(f, 'asyncscope_observed_seconds_total').get(pid) || 0) -
    (perProc(b, 'asyncscope_observed_seconds_total').get(pid) || 0);
  const lines = [];
  let pairs = 0, worst = 0;
  for (const p of pids.map(Number)) {
    const oe = obs(eb, ef, p), os = obs(sb, sf, p);
    const de = deltas(eb, ef, p), ds = deltas(sb, sf, p);
    if (!(oe > 0) || !(os > 0)) {
      bad.push(`process ${p}: observed ${oe.toFixed(3)} s exact, ${os.toFixed(3)} s sampled`);
      continue;
    }
    lines.push(`process ${p}: observed ${oe.toFixed(2)} s (exact), ${os.toFixed(2)} s (sampled, ${(100 * os / oe).toFixed(1)}%)`);
    for (const [type, v] of de) {
      const w = ds.get(type) || [0, 0, 0, 0];
      for (let k = 0; k < 4; k++) {
        if (v[k] < +min) continue;
        const exact = v[k] / oe, est = w[k] / os, err = est / exact - 1;
        pairs++;
        worst = Math.max(worst, Math.abs(err));
        const line = `  ${type} ${KINDS[k]}: exact ${exact.toFixed(1)}/s (${v[k]}), estimated ${est.toFixed(1)}/s (${w[k]}), ${(100 * err).toFixed(1)}%`;
        lines.push(line);
        if (Math.abs(err) > 0.10) bad.push(line.trim());
      }
    }
  }
  if (!pairs) bad.push('no (type, event) pair counted often enough to compare');
  console.log(lines.join('\n'));
  if (!bad.length) console.log(`${pairs} (type, event) rates, worst ${(100 * worst).toFixed(1)}% off`);
} else if (mode === 'sampled') {
  const [file, ...pids] = args;
  const p = parse(file);
  if (p.types.has('asyncscope_resources_alive')) bad.push('resources_alive shown in sampled mode');
  const count = (name, pid, type) => (p.samples.find((s) => s.name === name && s.labels.pid === pid &&
    s.labels.type === type) || { value: 0 }).value;
  let types = 0, unknown = 0, events = 0;
  for (const pid of pids) {
    for (const [type, v] of eventCounts(file).get(+pid) || new Map()) {
      types++;
      const sum = v.reduce((a, b) => a + b, 0);
      events += sum;
      if (type === 'unknown') unknown += sum;
      if (v[2] > v[1]) bad.push(`${pid} ${type}: ${v[2]} afters > ${v[1]} befores`);
      const cb = count('asyncscope_callback_duration_seconds_count', pid, type);
      if (cb !== v[2]) bad.push(`${pid} ${type}: ${cb} callback durations != ${v[2]} afters`);
      const q = count('asyncscope_queue_delay_seconds_count', pid, type);
      if (q > v[0]) bad.push(`${pid} ${type}: ${q} queue delays > ${v[0]} inits`);
    }
  }
  if (!types) bad.push('no series');
  if (unknown > 0.01 * events) bad.push(`${unknown} of ${events} events of type unknown`);
  if (!bad.length) console.log(`${types} series: no resources_alive, after <= before, every after timed, ${unknown} of ${events} events untyped`);
} else if (mode === 'exited' || mode === 'partial') {
  const [file, n, ...pids] = args;
  const ex = perProc(file, 'asyncscope_process_exited');
  const counts = eventCounts(file);
  let shown = 0;
  for (const pid of pids.map(Number)) {
    const fs = (counts.get(pid) || new Map()).get('FSREQCALLBACK');
    if (mode === 'partial' && !fs && !ex.has(pid)) continue;
    shown++;
    if (ex.get(pid) !== 1) bad.push(`process ${pid}: process_exited ${ex.get(pid)}, want 1`);
    const inits = fs ? fs[0] : 0;
    if (mode === 'exited' ? inits !== +n : inits > +n) bad.push(`process ${pid}: ${inits} FSREQCALLBACK inits, want ${mode === 'exited' ? '' : '<= '}${n}`);
  }
  if (!bad.length) console.log(`${shown} of ${pids.length} exited processes shown` + (mode === 'exited' ? `, each with its ${n} FSREQCALLBACK inits` : ` (partly counted: the rest ran between windows)`));
} else if (mode === 'exits') {
  const [base, fin, exe, n] = args;
  const total = (file) => (parse(file).samples.find((s) => s.name === 'asyncscope_processes_exited_total' &&
    s.labels.exe === exe) || { value: 0 }).value;
  const d = total(fin) - total(base);
  if (d !== +n) bad.push(`processes_exited_total{exe=${exe}} went up by ${d}, want ${n}`);
  else console.log(`${n} exits of ${exe} counted`);
} else if (mode === 'has') {
  const [file, pid, type] = args;
  const v = (eventCounts(file).get(+pid) || new Map()).get(type);
  if (!v || v[0] <= 0) bad.push(`no ${type} inits for process ${pid}`);
  else console.log(`process ${pid}: ${type} ${v.join('/')}`);
} else {
  bad.push('unknown mode ' + mode);
}
if (bad.length) {
  console.log(bad.join('\n'));
  process.exit(1);
}
