// `node bench/replicas.mjs [--quick]` (and the end of `npm run bench`, when PostgreSQL answers): the
// gateway with its state on PostgreSQL (a fresh schema, dropped afterwards) and the demo's SQLite data
// stores, against the lean baseline on the same store files, for the read50 workload:
//   - 1 replica with the change feed (LISTEN/NOTIFY) on, and with it off (a counter query per request);
//   - 3 replicas with the feed on, the load spread across them (one autocannon process per replica);
// per replica CPU per request, req/s, p99; counter queries and state transactions per request (from
// PostgreSQL's statistics); audit entries appended per second to the one shared chain; and, on 3 idle
// replicas, the time from a revoke's acknowledgement through one replica to the first refusal on
// another. Writes bench/results/replicas.json and prints a table. MESHGUARD_BENCH_PG_URL names the
// server (default: the local postgres://postgres@127.0.0.1:5432/test, if it answers).
import { fork, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { WORKLOADS } from './workloads.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_PG_URL = 'postgres://postgres@127.0.0.1:5432/test';
const READ50 = WORKLOADS.find((w) => w.name === 'read50');
const log = (...a) => console.error('[bench replicas]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const r2 = (x) => Math.round(x * 100) / 100;
const meanOf = (xs, f) => xs.reduce((a, x) => a + x[f], 0) / xs.length;

/** One run's figures from its rounds: means of the rates, sums of the counts. */
function averageRuns(rounds) {
  const mean = (f) => meanOf(rounds, f);
  const first = rounds[0];
  return {
    ...first,
    reqPerSec: r2(mean('reqPerSec')),
    p99: r2(mean('p99')),
    cpuUsPerReq: Math.round(mean('cpuUsPerReq')),
    counterQueriesPerReq: r2(mean('counterQueriesPerReq')),
    stateCommitsPerReq: r2(mean('stateCommitsPerReq')),
    auditEntriesPerSec: Math.round(mean('auditEntriesPerSec')),
    perReplica: first.perReplica.map((_, i) => ({ reqPerSec: r2(meanOf(rounds.map((r) => r.perReplica[i]), 'reqPerSec')), p99: r2(meanOf(rounds.map((r) => r.perReplica[i]), 'p99')), cpuUsPerReq: Math.round(meanOf(rounds.map((r) => r.perReplica[i]), 'cpuUsPerReq')) })),
    requests: rounds.reduce((a, r) => a + r.requests, 0),
    unexpected: rounds.reduce((a, r) => a + r.unexpected, 0),
    rounds: rounds.length,
  };
}

/** The PostgreSQL URL to bench on, or undefined when none answers. */
export async function benchPgUrl(env = process.env) {
  const url = env.MESHGUARD_BENCH_PG_URL || DEFAULT_PG_URL;
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return url;
  } catch {
    return undefined;
  }
}

const port0 = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

/** utime + stime of a process in ms (USER_HZ 100), from /proc. */
function processCpuMs(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** One autocannon run in its own process (bench/load-worker.mjs), as run.mjs does. */
function load(job) {
  return new Promise((resolve, reject) => {
    const w = fork(path.join(ROOT, 'bench/load-worker.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    w.once('message', (m) => (w.disconnect(), m.ok ? resolve(m.summary) : reject(new Error(m.error))));
    w.once('error', reject);
    w.send(job);
  });
}

async function answers(url, ms = 60_000) {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(100)) {
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      /* not yet */
    }
  }
  throw new Error(`${url} did not answer`);
}

function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => (clearTimeout(t), resolve()));
    child.kill('SIGTERM');
  });
}

/** Counter reads (scans of mg_counters) and committed transactions on the bench's state, so far. */
async function stateStats(admin, schema) {
  // Statistics reach the views up to a second after a backend's transaction: let them settle.
  await sleep(1500);
  const scans = await admin.query("select coalesce(seq_scan, 0) + coalesce(idx_scan, 0) as n from pg_stat_user_tables where schemaname = $1 and relname = 'mg_counters'", [schema]);
  const db = await admin.query('select xact_commit from pg_stat_database where datname = current_database()');
  const audit = await admin.query(`select count(*)::int as n from ${admin.escapeIdentifier(schema)}.mg_audit`);
  return { counterReads: Number(scans.rows[0]?.n ?? 0), commits: Number(db.rows[0].xact_commit), auditEntries: audit.rows[0].n };
}

export async function benchReplicas({ quick = false, pgUrl } = {}) {
  const url = pgUrl ?? (await benchPgUrl());
  if (!url) {
    log('no PostgreSQL answers (set MESHGUARD_BENCH_PG_URL): the replica bench is skipped');
    return null;
  }
  const duration = quick ? 3 : 10;
  const connections = 30;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshguard-bench-replicas-'));
  const schema = `mg_bench_${crypto.randomBytes(4).toString('hex')}`;
  const secret = crypto.randomBytes(32).toString('hex');
  const token = (sub) => jwt.sign({ sub, iat: Math.floor(Date.now() / 1000) }, secret, { algorithm: 'HS256', expiresIn: '4h' });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const children = new Set();
  const env = (port, extra) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    MESHGUARD_DATA_DIR: dataDir,
    MESHGUARD_POLICIES_DIR: path.join(ROOT, 'policies'),
    MESHGUARD_JWT_SECRET: secret,
    MESHGUARD_STATE_URL: url,
    MESHGUARD_STATE_SCHEMA: schema,
    MESHGUARD_SEED_DEMO: 'true',
    ...extra,
  });
  const startArgs = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start.split(/\s+/).filter((a) => a.startsWith('--'));
  const startGateway = async (extra = {}) => {
    const port = await port0();
    const nodeArgs = [...startArgs, ...(process.env.BENCH_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [])];
    const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'dist/src/main.js')], { env: env(port, extra), stdio: ['ignore', 'ignore', 'inherit'] });
    children.add(child);
    await answers(`http://127.0.0.1:${port}/readyz`);
    return { child, port, url: `http://127.0.0.1:${port}` };
  };
  const stopAll = async () => {
    await Promise.all([...children].map(stopProcess));
    children.clear();
  };
  const job = (base, target) => ({
    url: base + READ50.path,
    method: READ50.method,
    path: READ50.path,
    connections,
    duration,
    expectStatus: READ50.expectStatus,
    headers: target === 'lean' ? {} : { authorization: `Bearer ${token(READ50.subject)}` },
  });

  /** Loads the gateways in parallel (one load process each) and measures per-replica and overall figures. */
  const measure = async (name, gws) => {
    for (const g of gws) await load({ ...job(g.url, 'gateway'), duration: quick ? 1 : 2 }); // warm-up
    const before = await stateStats(admin, schema);
    const cpu0 = gws.map((g) => processCpuMs(g.child.pid));
    const t0 = performance.now();
    const runs = await Promise.all(gws.map((g) => load({ ...job(g.url, 'gateway'), connections: Math.ceil(connections / gws.length) })));
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = gws.map((g) => processCpuMs(g.child.pid));
    const after = await stateStats(admin, schema);
    const requests = runs.reduce((a, r) => a + r.total, 0);
    const out = {
      name,
      replicas: gws.length,
      reqPerSec: r2(runs.reduce((a, r) => a + r.reqPerSec, 0)),
      p99: Math.max(...runs.map((r) => r.p99)),
      perReplica: runs.map((r, i) => ({ reqPerSec: r2(r.reqPerSec), p99: r.p99, cpuUsPerReq: Math.round(((cpu1[i] - cpu0[i]) * 1000) / r.total) })),
      cpuUsPerReq: Math.round(((cpu1.reduce((a, b) => a + b, 0) - cpu0.reduce((a, b) => a + b, 0)) * 1000) / requests),
      counterQueriesPerReq: r2((after.counterReads - before.counterReads) / requests),
      stateCommitsPerReq: r2((after.commits - before.commits) / requests),
      auditEntriesPerSec: Math.round((after.auditEntries - before.auditEntries) / seconds),
      requests,
      unexpected: runs.reduce((a, r) => a + r.unexpected + r.errors, 0),
    };
    log(`${name}: ${out.reqPerSec} req/s, p99 ${out.p99} ms, ${out.cpuUsPerReq} us CPU/req, ${out.counterQueriesPerReq} counter queries/req, ${out.stateCommitsPerReq} state commits/req, ${out.auditEntriesPerSec} audit entries/s`);
    return out;
  };

  /** Revoke through `a`, then ask `b` at once and again until refused: how long, and how many served. */
  const revokeToRefusal = async (a, b) => {
    const dana = token('dana');
    const g = await (await fetch(`${a.url}/v1/grants`, { method: 'POST', headers: { authorization: `Bearer ${dana}`, 'content-type': 'application/json' }, body: JSON.stringify({ subject: 'pia', role: 'analyst', domain: 'sales', reason: 'bench' }) })).json();
    const pia = { authorization: `Bearer ${token('pia')}` };
    for (let i = 0; i < 5; i++) await (await fetch(`${b.url}${READ50.path}`, { headers: pia })).arrayBuffer(); // warm b's cache
    const t0 = performance.now();
    const del = await fetch(`${a.url}/v1/grants/${g.id}?reason=bench`, { method: 'DELETE', headers: { authorization: `Bearer ${dana}` } });
    const acked = performance.now();
    if (del.status !== 204) throw new Error(`revoke answered ${del.status}`);
    let servedAfterAck = 0;
    for (;;) {
      const r = await fetch(`${b.url}${READ50.path}`, { headers: pia });
      await r.arrayBuffer();
      if (r.status === 403) break;
      servedAfterAck++;
      if (servedAfterAck > 1000) throw new Error('the revoke was never enforced');
    }
    return { ackMs: r2(acked - t0), refusalAfterAckMs: r2(performance.now() - acked), servedAfterAck };
  };

  try {
    log(`state schema ${schema} on ${url.replace(/\/\/[^@]*@/, '//')}; ${duration} s per run, ${connections} connections`);
    // The first gateway seeds the demo (stores and state); the lean baseline reads the same store files.
    const first = await startGateway();
    const catalogFile = path.join(dataDir, 'bench-catalog.json');
    fs.writeFileSync(catalogFile, JSON.stringify(await (await fetch(`${first.url}/v1/datasets`, { headers: { authorization: `Bearer ${token('alice')}` } })).json()));
    const leanPort = await port0();
    const lean = fork(path.join(ROOT, 'bench/lean-baseline-server.mjs'), [], {
      env: { PATH: process.env.PATH, PORT: String(leanPort), BENCH_STORES_DIR: path.join(dataDir, 'stores'), BENCH_CATALOG_FILE: catalogFile },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.add(lean);
    await new Promise((resolve, reject) => (lean.once('message', resolve), lean.once('exit', (c) => reject(new Error(`lean baseline exited with ${c}`)))));
    const leanUrl = `http://127.0.0.1:${leanPort}`;
    // The one-replica runs alternate with the lean baseline in rounds, as run.mjs does, so the machine's
    // drift falls on all three; each on a gateway started for it (the first one also seeded the demo,
    // and carries that in its heap).
    children.delete(lean);
    await stopAll();
    children.add(lean);
    const feedOn = await startGateway();
    const feedOff = await startGateway({ MESHGUARD_CHANGE_FEED: 'false' });
    await load({ ...job(leanUrl, 'lean'), duration: quick ? 1 : 2 });
    const leanRounds = [];
    const onRounds = [];
    const offRounds = [];
    for (let round = 0; round < (quick ? 1 : 2); round++) {
      const l0 = processCpuMs(lean.pid);
      const leanRun = await load(job(leanUrl, 'lean'));
      leanRounds.push({ reqPerSec: leanRun.reqPerSec, p99: leanRun.p99, cpuUsPerReq: ((processCpuMs(lean.pid) - l0) * 1000) / leanRun.total });
      onRounds.push(await measure('1 replica, change feed on', [feedOn]));
      offRounds.push(await measure('1 replica, change feed off', [feedOff]));
    }
    const baseline = { reqPerSec: r2(meanOf(leanRounds, 'reqPerSec')), p99: meanOf(leanRounds, 'p99'), cpuUsPerReq: Math.round(meanOf(leanRounds, 'cpuUsPerReq')) };
    log(`lean baseline: ${baseline.reqPerSec} req/s, p99 ${baseline.p99} ms, ${baseline.cpuUsPerReq} us CPU/req`);
    await stopAll();

    const runs = [averageRuns(onRounds), averageRuns(offRounds)];
    const three = [await startGateway(), await startGateway(), await startGateway()];
    runs.push(await measure('3 replicas, change feed on', three));
    await sleep(1000);
    const revokes = [];
    for (let i = 0; i < 5; i++) revokes.push(await revokeToRefusal(three[i % 3], three[(i + 1) % 3]));
    log(`revoke -> refusal on another replica: ${JSON.stringify(revokes)}`);
    await stopAll();

    const ratio = (r) => ({ reqPerSec: r2(r.reqPerSec / baseline.reqPerSec), cpuUsPerReq: r2(r.cpuUsPerReq / baseline.cpuUsPerReq), p99: r2(r.p99 / baseline.p99) });
    const one = runs[0];
    const targets = [
      { target: 'read50, PostgreSQL state: req/s >= 0.75x lean baseline', value: ratio(one).reqPerSec, limit: 0.75, held: ratio(one).reqPerSec >= 0.75 },
      { target: 'read50, PostgreSQL state: CPU/req <= 1.3x lean baseline', value: ratio(one).cpuUsPerReq, limit: 1.3, held: ratio(one).cpuUsPerReq <= 1.3 },
      { target: 'no state round trip for the counters when nothing changed', value: one.counterQueriesPerReq, limit: 0.01, held: one.counterQueriesPerReq <= 0.01 },
      { target: 'no request served after an acknowledged revoke', value: Math.max(...revokes.map((r) => r.servedAfterAck)), limit: 0, held: revokes.every((r) => r.servedAfterAck === 0) },
      { target: 'every answer had the expected status', value: runs.reduce((a, r) => a + r.unexpected, 0), limit: 0, held: runs.every((r) => r.unexpected === 0) },
    ];
    const report = { date: new Date().toISOString(), cores: os.cpus().length, durationS: duration, connections, baseline, runs: runs.map((r) => ({ ...r, ratio: ratio(r) })), revokes, targets };
    fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'bench/results/replicas.json'), `${JSON.stringify(report, null, 2)}\n`);
    print(report);
    return report;
  } finally {
    await stopAll();
    await admin.query(`drop schema if exists ${admin.escapeIdentifier(schema)} cascade`).catch(() => undefined);
    await admin.end();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function print(r) {
  const pad = (s, n) => String(s ?? '-').padStart(n);
  const lines = ['', `replicas on PostgreSQL state, read50 (${r.durationS} s, ${r.connections} connections; lean baseline ${r.baseline.reqPerSec} req/s, p99 ${r.baseline.p99} ms, ${r.baseline.cpuUsPerReq} us CPU/req)`];
  lines.push(`${'run'.padEnd(28)}${pad('req/s', 8)}${pad('ratio', 7)}${pad('CPU us', 8)}${pad('ratio', 7)}${pad('p99', 6)}${pad('ratio', 7)}${pad('ctr q/req', 10)}${pad('commits/req', 12)}${pad('audit/s', 9)}  per replica CPU us/req`);
  for (const x of r.runs) {
    lines.push(
      `${x.name.padEnd(28)}${pad(x.reqPerSec.toFixed(0), 8)}${pad(x.ratio.reqPerSec.toFixed(2), 7)}${pad(x.cpuUsPerReq, 8)}${pad(x.ratio.cpuUsPerReq.toFixed(2), 7)}${pad(x.p99, 6)}${pad(x.ratio.p99.toFixed(2), 7)}` +
        `${pad(x.counterQueriesPerReq, 10)}${pad(x.stateCommitsPerReq, 12)}${pad(x.auditEntriesPerSec, 9)}  ${x.perReplica.map((p) => p.cpuUsPerReq).join(' / ')}`,
    );
  }
  lines.push(`revoke through one replica -> first refusal on another: ack after ${r.revokes.map((x) => x.ackMs).join(', ')} ms; refused ${r.revokes.map((x) => x.refusalAfterAckMs).join(', ')} ms after the ack (requests served after the ack: ${r.revokes.map((x) => x.servedAfterAck).join(', ')})`);
  for (const t of r.targets) lines.push(`${t.held ? 'HELD  ' : 'MISSED'} ${t.target}: ${t.value} (limit ${t.limit})`);
  lines.push('written to bench/results/replicas.json');
  console.log(lines.join('\n'));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
  benchReplicas({ quick: values.quick }).catch((e) => {
    console.error(`[bench replicas] failed: ${e.stack ?? e}`);
    process.exit(1);
  });
}
