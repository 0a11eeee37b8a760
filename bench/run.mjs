// `npm run bench [-- --quick] [-- --profile] [-- --only read50,denied]`: the governed gateway against
// two ungoverned baselines on the same demo data, loaded in alternating rounds by a separate
// autocannon process: the lean baseline (bench/lean-baseline-server.mjs: one prepared statement per
// workload, what a user routing around the gateway would run; the headline ratios) and the knex
// baseline (bench/baseline-server.mjs: the same knex queries as the gateway). Then one streamed
// export of 1,000,000 rows (time to first byte, peak RSS). Prints a table and writes
// bench/results/latest.json.
import { fork, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { WORKLOADS, extraCustomers, extraOrders } from './workloads.mjs';
import { summariseProfiles } from './profile-summary.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
    'gateway-only': { type: 'boolean', default: false },
    'skip-stream': { type: 'boolean', default: false },
  },
});
const QUICK = args.quick;
const DURATION = Number(args.duration ?? (QUICK ? 2 : 10));
const WARMUP = QUICK ? 1 : 3;
const ROUNDS = Number(args.rounds ?? 2);
const CONNECTIONS = Number(args.connections);
const workloads = args.only ? WORKLOADS.filter((w) => args.only.split(',').includes(w.name)) : WORKLOADS;
const targets = args['gateway-only'] ? ['gateway'] : ['gateway', 'lean', 'baseline'];
/** Rows of the streamed export, and where their ids start (far above the demo's and write100's ids). */
const STREAM_ROWS = Number(process.env.BENCH_STREAM_ROWS ?? 1_000_000);
const STREAM_ID0 = 2 ** 40;

const log = (...a) => console.error('[bench]', ...a);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitFor(url, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error(`${url} did not answer within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', resolve));
}

async function stop(child) {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited(child);
  clearTimeout(t);
}

/** Samples a process's resident set size (MB) from /proc, or ps where /proc is missing. */
function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* fall through */
  }
  return null;
}

/** CPU time (ms) a process has used so far, from /proc/<pid>/stat (utime + stime). */
const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux
/** User plus system CPU time of a process (every thread), in ms. */
function cpuMs(pid) {
  const t = cpuTimes(pid);
  return t && t.user + t.sys;
}

/** The same for one thread: the main thread's id is the process's, so cpuTimes(pid, pid) is the event
 *  loop's own CPU, and the rest of the process's is its other threads' (V8's garbage-collection
 *  helpers, the audit commit worker, libuv's pool). */
function cpuTimes(pid, tid) {
  try {
    const stat = fs.readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) * TICK_MS, sys: Number(f[12]) * TICK_MS };
  } catch {
    return null;
  }
}

function runLoad(job) {
  return new Promise((resolve, reject) => {
    const w = fork(path.join(ROOT, 'bench/load-worker.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    w.once('message', (m) => {
      w.disconnect();
      if (m.ok) resolve(m.summary);
      else reject(new Error(m.error));
    });
    w.once('error', reject);
    w.send(job);
  });
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r2 = (x) => Math.round(x * 100) / 100;

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshguard-bench-'));
  const secret = crypto.randomBytes(32).toString('hex');
  const gwPort = await freePort();
  const blPort = await freePort();
  const leanPort = await freePort();
  const profileDir = path.join(ROOT, 'bench/results', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  // The node options `npm start` runs the gateway with (the heap limit, see package.json), so the
  // bench measures the gateway as it runs in production; BENCH_NODE_ARGS adds more (diagnostics).
  const startArgs = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start.split(/\s+/).filter((a) => a.startsWith('--'));
  const nodeArgs = [...startArgs, ...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [])];
  log(`data dir ${dataDir}; gateway node ${nodeArgs.join(' ') || '(no options)'} :${gwPort}, baseline :${blPort}; ${QUICK ? 'quick' : 'full'} mode, ${ROUNDS} rounds of ${DURATION} s, ${CONNECTIONS} connections`);

  const gwEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    PORT: String(gwPort),
    LOG_LEVEL: 'warn',
    MESHGUARD_DATA_DIR: dataDir,
    MESHGUARD_POLICIES_DIR: path.join(ROOT, 'policies'),
    MESHGUARD_JWT_SECRET: secret,
    ...(process.env.BENCH_METRICS_PORT && { MESHGUARD_METRICS_PORT: process.env.BENCH_METRICS_PORT }),
  };
  const gateway = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/src/main.js')], { env: gwEnv, stdio: ['ignore', 'inherit', 'inherit'] });
  let baseline;
  let lean;
  let peakRss = 0;
  const peakBy = {};
  let phase = 'start-up';
  const sampler = setInterval(() => {
    const mb = rssMb(gateway.pid);
    if (mb === null) return;
    peakRss = Math.max(peakRss, mb);
    peakBy[phase] = Math.max(peakBy[phase] ?? 0, mb);
  }, 100);

  try {
    const gw = `http://127.0.0.1:${gwPort}`;
    await waitFor(`${gw}/healthz`);
    const token = (sub) => jwt.sign({ sub }, secret, { algorithm: 'HS256', expiresIn: '4h' });
    const tokens = { alice: token('alice'), bob: token('bob') };

    // Setup, through the gateway (as bob, a scientist): 800 more customers, so a 1000-row masked read
    // exists, and 9000 more orders, so a 10,000-row read exists.
    const add = async (dataset, rows) => {
      const r = await fetch(`${gw}/v1/datasets/sales/${dataset}/rows`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens.bob}`, 'content-type': 'application/json' },
        body: JSON.stringify({ rows }),
      });
      if (r.status !== 201) throw new Error(`setup insert into sales.${dataset} answered ${r.status}: ${await r.text()}`);
    };
    for (let from = 201; from <= 1000; from += 200) await add('customers', extraCustomers(from, from + 199));
    for (let from = 1001; from <= 10000; from += 500) await add('orders', extraOrders(from, from + 499));
    // The baselines answer the catalog alice gets, as a static document.
    const catalog = await (await fetch(`${gw}/v1/datasets`, { headers: { authorization: `Bearer ${tokens.alice}` } })).json();
    const catalogFile = path.join(dataDir, 'bench-catalog.json');
    fs.writeFileSync(catalogFile, JSON.stringify(catalog));

    if (targets.includes('baseline')) {
      baseline = fork(path.join(ROOT, 'bench/baseline-server.mjs'), [], {
        env: { PATH: process.env.PATH, PORT: String(blPort), BENCH_STORES_DIR: path.join(dataDir, 'stores'), BENCH_CATALOG_FILE: catalogFile },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise((resolve, reject) => {
        baseline.once('message', resolve);
        baseline.once('exit', (c) => reject(new Error(`baseline exited with ${c}`)));
      });
    }
    if (targets.includes('lean')) {
      lean = fork(path.join(ROOT, 'bench/lean-baseline-server.mjs'), [], {
        execArgv: process.env.BENCH_LEAN_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [],
        env: { PATH: process.env.PATH, PORT: String(leanPort), BENCH_STORES_DIR: path.join(dataDir, 'stores'), BENCH_CATALOG_FILE: catalogFile, BENCH_LEAN_APP_CLASSES: process.env.BENCH_LEAN_APP_CLASSES ?? '' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      await new Promise((resolve, reject) => {
        lean.once('message', resolve);
        lean.once('exit', (c) => reject(new Error(`lean baseline exited with ${c}`)));
      });
    }
    const urls = { gateway: gw, baseline: `http://127.0.0.1:${blPort}`, lean: `http://127.0.0.1:${leanPort}` };
    const pids = () => ({ gateway: gateway.pid, baseline: baseline?.pid, lean: lean?.pid });

    let idBlock = 0;
    const job = (w, target, duration) => ({
      url: urls[target] + w.path,
      method: w.method,
      path: w.path,
      connections: CONNECTIONS,
      duration,
      expectStatus: w.expectStatus,
      headers: { ...(w.headers ?? {}), ...(target === 'gateway' ? { authorization: `Bearer ${tokens[w.subject]}` } : {}) },
      // Disjoint id ranges per run, far above the demo ids: no insert ever conflicts.
      ...(w.insert ? { insert: { batch: w.insert.batch, idStart: 10_000_000 + ++idBlock * 100_000_000 } } : {}),
    });

    const results = [];
    for (const w of workloads) {
      const per = Object.fromEntries(targets.map((t) => [t, []]));
      for (const t of targets) {
        phase = `${w.name}/${t}/warm-up`;
        log(`${w.name} ${t}: warm-up`); // the load starts here (for a profiler attached with --inspect)
        await runLoad(job(w, t, WARMUP));
      }
      for (let round = 0; round < ROUNDS; round++) {
        // Alternate which goes first, so a drift in machine load falls on both.
        for (const t of round % 2 ? [...targets].reverse() : targets) {
          phase = `${w.name}/${t}`;
          const pid = pids()[t];
          const cpu0 = cpuTimes(pid);
          const main0 = cpuTimes(pid, pid);
          const s = await runLoad(job(w, t, DURATION));
          const cpu1 = cpuTimes(pid);
          const main1 = cpuTimes(pid, pid);
          // CPU per answered request: unlike req/s, it barely moves when other jobs share the machine.
          const cpu = cpu0 && cpu1 ? { user: cpu1.user - cpu0.user, sys: cpu1.sys - cpu0.sys } : null;
          s.cpuUsPerReq = cpu === null || s.total === 0 ? null : Math.round(((cpu.user + cpu.sys) * 1000) / s.total);
          // The kernel's share (syscalls: socket writes, fsync): what the process's own code cannot save.
          s.cpuSysShare = cpu === null || cpu.user + cpu.sys === 0 ? null : r2(cpu.sys / (cpu.user + cpu.sys));
          // Of it, the main thread's (the event loop: HTTP, routing, the gateway's own code, GC pauses);
          // the rest ran on other threads (concurrent GC, the audit commit worker).
          s.mainCpuUsPerReq = main0 && main1 && s.total > 0 ? Math.round(((main1.user + main1.sys - main0.user - main0.sys) * 1000) / s.total) : null;
          per[t].push(s);
          log(`${w.name} round ${round + 1} ${t}: ${s.reqPerSec.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.cpuUsPerReq} us CPU/req (system ${Math.round((s.cpuSysShare ?? 0) * 100)} %, main thread ${s.mainCpuUsPerReq} us), unexpected ${s.unexpected}/${s.total}`);
        }
      }
      const agg = (rs) =>
        rs.length === 0
          ? null
          : {
              reqPerSec: r2(mean(rs.map((r) => r.reqPerSec))),
              p50: r2(mean(rs.map((r) => r.p50))),
              p99: r2(mean(rs.map((r) => r.p99))),
              cpuUsPerReq: rs.some((r) => r.cpuUsPerReq === null) ? null : Math.round(mean(rs.map((r) => r.cpuUsPerReq))),
              mainCpuUsPerReq: rs.some((r) => r.mainCpuUsPerReq === null) ? null : Math.round(mean(rs.map((r) => r.mainCpuUsPerReq))),
              requests: rs.reduce((a, r) => a + r.total, 0),
              unexpected: rs.reduce((a, r) => a + r.unexpected + r.errors, 0),
              statusCodes: rs.reduce((a, r) => {
                for (const [k, v] of Object.entries(r.statusCodes)) a[k] = (a[k] ?? 0) + v;
                return a;
              }, {}),
              rounds: rs,
            };
      const g = agg(per.gateway);
      const b = agg(per.baseline ?? []);
      const l = agg(per.lean ?? []);
      const ratioTo = (x) =>
        x ? { reqPerSec: r2(g.reqPerSec / x.reqPerSec), p50: r2(g.p50 / x.p50), p99: r2(g.p99 / x.p99), cpuUsPerReq: g.cpuUsPerReq && x.cpuUsPerReq ? r2(g.cpuUsPerReq / x.cpuUsPerReq) : null } : null;
      results.push({
        name: w.name,
        title: w.title,
        expectStatus: w.expectStatus,
        gateway: g,
        lean: l,
        baseline: b,
        /** Against the lean baseline: the headline. */
        ratio: ratioTo(l),
        /** Against the knex baseline. */
        ratioKnex: ratioTo(b),
        gatewayPeakRssMb: r2(Math.max(...Object.entries(peakBy).filter(([k]) => k.startsWith(`${w.name}/gateway`)).map(([, v]) => v))),
      });
    }
    const standardPeakRss = peakRss;
    phase = 'stream';
    const stream = !args['skip-stream'] && (workloads.some((w) => w.name === 'read50') || args.only?.includes('stream')) ? await streamExport(gw, dataDir, tokens.alice, () => peakBy.stream ?? 0) : null;

    phase = 'shutdown';
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    const checks = [];
    const check = (name, value, limit, held) => checks.push({ target: name, value, limit, held });
    const atMost = (name, value, limit) => value !== null && value !== undefined && check(name, value, limit, value <= limit);
    const atLeast = (name, value, limit) => value !== null && value !== undefined && check(name, value, limit, value >= limit);
    atMost('read50 CPU/req <= 1.2x lean baseline', byName.read50?.ratio?.cpuUsPerReq, 1.2);
    atLeast('read50 req/s >= 0.85x lean baseline', byName.read50?.ratio?.reqPerSec, 0.85);
    atMost('read50 p99 <= 1.3x lean baseline', byName.read50?.ratio?.p99, 1.3);
    atLeast('write100 req/s >= 0.7x lean baseline', byName.write100?.ratio?.reqPerSec, 0.7);
    atLeast('datasets req/s >= 0.8x a static answer (lean)', byName.datasets?.ratio?.reqPerSec, 0.8);
    if (byName.read50 && byName.denied) atLeast('denied req/s >= governed read50 req/s', r2(byName.denied.gateway.reqPerSec / byName.read50.gateway.reqPerSec), 1);
    if (byName.read10000) atMost('read10000 peak RSS < 200 MB', byName.read10000.gatewayPeakRssMb, 200);
    if (stream?.ok) {
      atMost('1M-row streamed export peak RSS < 200 MB', stream.peakRssMb, 200);
      atMost('1M-row streamed export first byte < 50 ms', stream.ttfbMs, 50);
    }
    atMost('gateway peak RSS < 150 MB through the standard run', r2(standardPeakRss), 150);
    // The gateway's answers only: the baselines read 10,000 rows synchronously and starve their other
    // connections past autocannon's timeout on read10000 (reported beside the table, not a target).
    const unexpected = results.reduce((a, r) => a + r.gateway.unexpected, 0);
    check('every gateway answer had the expected status', unexpected, 0, unexpected === 0);

    // Evidence that the audit trail was on and durable: entries written to the state store.
    await stop(baseline);
    await stop(lean);
    await stop(gateway);
    clearInterval(sampler);
    const state = new Database(path.join(dataDir, 'meshguard.sqlite'), { readonly: true });
    const auditEntries = state.prepare('select count(*) as n from mg_audit').get().n;
    state.close();
    const gatewayRequests = results.reduce((a, r) => a + r.gateway.requests, 0);

    const report = {
      date: new Date().toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model,
        cores: os.cpus().length,
        memoryGb: r2(os.totalmem() / 2 ** 30),
        loadAverageAtEnd: os.loadavg().map(r2),
        node: process.version,
        platform: `${os.platform()} ${os.release()}`,
      },
      settings: {
        mode: QUICK ? 'quick' : 'full',
        rounds: ROUNDS,
        durationS: DURATION,
        warmupS: WARMUP,
        connections: CONNECTIONS,
        audit: 'on, durable: SQLite state store, WAL, synchronous=FULL, group commit',
        profiled: args.profile,
      },
      workloads: results,
      stream,
      gatewayPeakRssMb: r2(standardPeakRss),
      auditEntries,
      gatewayRequestsMeasured: gatewayRequests,
      targets: checks,
    };
    fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    printReport(report);
    if (args.profile) {
      console.log(`\nCPU profile of the gateway: ${profileDir}\n`);
      console.log(summariseProfiles(profileDir, 25));
    }
  } finally {
    clearInterval(sampler);
    await stop(baseline);
    await stop(lean);
    await stop(gateway);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The streamed export: STREAM_ROWS orders written straight into the store file (far above every other
 * id, after the workloads), then read back by one client as NDJSON, every row: time to first byte,
 * total time, rows, and the gateway's peak RSS while it streams.
 */
async function streamExport(gw, dataDir, token, peakRss) {
  const db = new Database(path.join(dataDir, 'stores', 'sales.sqlite'));
  db.pragma('busy_timeout = 5000');
  const insert = db.prepare('insert into orders (id, customer_id, region, amount, status, created_at) values (?, ?, ?, ?, ?, ?)');
  const regions = ['EU', 'NA', 'APAC', 'LATAM'];
  db.transaction(() => {
    for (let i = 0; i < STREAM_ROWS; i++) insert.run(STREAM_ID0 + i, (i % 200) + 1, regions[i % 4], (i % 100000) / 100, 'paid', '2026-11-24T09:00:00.000Z');
  })();
  db.close();
  log(`stream: ${STREAM_ROWS} rows written; reading them back as NDJSON`);
  const url = new URL(`${gw}/v1/datasets/sales/orders/rows?format=ndjson&id=gte.${STREAM_ID0}`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let ttfbMs = null;
      let bytes = 0;
      let rows = 0;
      res.on('data', (c) => {
        if (ttfbMs === null) ttfbMs = r2(performance.now() - t0);
        bytes += c.length;
        for (let k = c.indexOf(10); k !== -1; k = c.indexOf(10, k + 1)) rows++;
      });
      res.on('end', () => {
        const out = { ok: res.statusCode === 200 && rows === STREAM_ROWS && res.complete, status: res.statusCode, rows, bytes, ttfbMs, totalMs: r2(performance.now() - t0), peakRssMb: r2(peakRss()) };
        log(`stream: ${JSON.stringify(out)}`);
        resolve(out);
      });
      res.on('error', (e) => resolve({ ok: false, error: String(e), rows, bytes, ttfbMs }));
    });
    req.on('error', (e) => resolve({ ok: false, error: String(e) }));
  });
}

function printReport(r) {
  const pad = (s, n) => String(s ?? '-').padStart(n);
  const f0 = (x) => (x === null || x === undefined ? '-' : Number(x).toFixed(0));
  const f2 = (x) => (x === null || x === undefined ? '-' : Number(x).toFixed(2));
  const lines = [];
  lines.push(`meshguard bench, ${r.date}: ${r.machine.cpu}, ${r.machine.cores} cores, node ${r.machine.node}; ${r.settings.mode} mode (${r.settings.rounds} x ${r.settings.durationS} s, ${r.settings.connections} connections)`);
  lines.push('gateway (gw) against the lean baseline (lean: one prepared statement, the headline ratio) and the knex baseline (knex)');
  lines.push('');
  lines.push(
    `${'workload'.padEnd(15)}${pad('gw CPU', 8)}${pad('lean', 7)}${pad('ratio', 7)}${pad('gw rps', 8)}${pad('lean', 7)}${pad('ratio', 7)}${pad('knex', 7)}${pad('ratio', 7)}` +
      `${pad('gw p50', 8)}${pad('gw p99', 8)}${pad('lean', 7)}${pad('ratio', 7)}${pad('RSS MB', 8)}${pad('unexp.', 7)}${pad('bl unexp.', 10)}`,
  );
  for (const w of r.workloads) {
    const l = w.lean;
    const b = w.baseline;
    lines.push(
      `${w.name.padEnd(15)}${pad(w.gateway.cpuUsPerReq, 8)}${pad(l?.cpuUsPerReq, 7)}${pad(f2(w.ratio?.cpuUsPerReq), 7)}${pad(f0(w.gateway.reqPerSec), 8)}${pad(f0(l?.reqPerSec), 7)}${pad(f2(w.ratio?.reqPerSec), 7)}` +
        `${pad(f0(b?.reqPerSec), 7)}${pad(f2(w.ratioKnex?.reqPerSec), 7)}${pad(w.gateway.p50, 8)}${pad(w.gateway.p99, 8)}${pad(l?.p99, 7)}${pad(f2(w.ratio?.p99), 7)}${pad(w.gatewayPeakRssMb, 8)}` +
        `${pad(w.gateway.unexpected, 7)}${pad((l?.unexpected ?? 0) + (b?.unexpected ?? 0), 10)}`,
    );
  }
  lines.push('');
  // Where each one's CPU per request ran: the main thread (event loop) and the process's other threads.
  const split = (x) => (x?.cpuUsPerReq != null && x?.mainCpuUsPerReq != null ? `${x.mainCpuUsPerReq} + ${x.cpuUsPerReq - x.mainCpuUsPerReq}` : '-');
  lines.push(`${'CPU us/req'.padEnd(15)}${pad('gw main + other', 17)}${pad('lean main + other', 19)}`);
  for (const w of r.workloads) lines.push(`${w.name.padEnd(15)}${pad(split(w.gateway), 17)}${pad(split(w.lean), 19)}`);
  lines.push('');
  if (r.stream) {
    lines.push(
      r.stream.ok
        ? `streamed export: ${r.stream.rows} rows as NDJSON, ${(r.stream.bytes / 2 ** 20).toFixed(0)} MB in ${(r.stream.totalMs / 1000).toFixed(1)} s, first byte after ${r.stream.ttfbMs} ms, gateway peak RSS ${r.stream.peakRssMb} MB`
        : `streamed export: not measured (${r.stream.error ?? `status ${r.stream.status}, ${r.stream.rows} rows`})`,
    );
  }
  lines.push("unexp.: the gateway's answers with another status than expected (or none: a timeout or an error); bl unexp.: the baselines' (lean and knex)");
  lines.push(`gateway peak RSS ${r.gatewayPeakRssMb} MB through the standard workloads; audit entries written ${r.auditEntries} (measured gateway requests ${r.gatewayRequestsMeasured}, plus warm-up)`);
  for (const t of r.targets) lines.push(`${t.held ? 'HELD  ' : 'MISSED'} ${t.target}: ${t.value} (limit ${t.limit})`);
  lines.push('CPU in us of process CPU time per answered request; latencies in ms; ratio = gateway / baseline; written to bench/results/latest.json');
  console.log(lines.join('\n'));
}

main()
  // Then replicas on PostgreSQL state (bench/replicas.mjs), when a PostgreSQL server answers.
  .then(async () => (args.only ? null : (await import('./replicas.mjs')).benchReplicas({ quick: QUICK })))
  // And the one audit chain's append throughput from 1 and 3 processes (bench/audit-append.mjs).
  .then(async (replicas) => {
    if (!replicas) return;
    const { benchPgUrl } = await import('./replicas.mjs');
    const url = await benchPgUrl();
    if (url) await (await import('./audit-append.mjs')).benchAuditAppend({ url, seconds: QUICK ? 3 : 5 });
  })
  .catch((e) => {
    console.error(`[bench] failed: ${e.stack ?? e}`);
    process.exit(1);
  });
