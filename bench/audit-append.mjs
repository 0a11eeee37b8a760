// `node bench/audit-append.mjs [--processes 1,3] [--seconds 5] [--inflight 30]` (after `npm run build`;
// run by `npm run bench` after the replicas when PostgreSQL answers): how many audit entries per second
// the one shared chain takes on PostgreSQL state, appended by 1 and by 3 processes at once, each with
// its own audit log (group commit, head guess, signature) and `inflight` entries always waiting, as
// replicas under load would have. No HTTP, no reads: the chain head alone. Then the chain is verified.
// Prints entries/s, commits, how often a process found the head moved (rechains) and took the lock,
// and writes bench/results/audit-append.json. MESHGUARD_BENCH_PG_URL names the server.
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = (p) => require(path.join(ROOT, 'dist/src', p));
const log = (...a) => console.error('[bench audit-append]', ...a);

async function child() {
  const { url, schema, dataDir, seconds, inflight } = JSON.parse(process.env.BENCH_CHILD);
  const { openState } = dist('state/open-state.js');
  const { AuditLog } = dist('audit/audit-log.js');
  const { ensureSigningKey, signHead } = dist('audit/signing-key.js');
  const state = await openState({ stateUrl: url, stateSchema: schema, dataDir });
  const key = ensureSigningKey(dataDir);
  const audit = new AuditLog(state.knex, 'postgres', 512, (id, hash) => signHead(key, id, hash));
  process.send({ ready: true });
  await new Promise((r) => process.once('message', r)); // start together
  const until = performance.now() + seconds * 1000;
  let done = 0;
  let n = 0;
  const one = async () => {
    while (performance.now() < until) {
      await audit.record({ ts: new Date(), requestId: `${process.pid}-${n++}`, subject: 'alice', action: 'read', resource: 'sales/orders', decision: 'allow', reason: 'read granted by bench', status: 200, columns: ['id', 'region', 'amount'], rowCount: 50, latencyMs: 1.5, grantIds: ['bench'] });
      done++;
    }
  };
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: inflight }, one));
  const cpu = process.cpuUsage(cpu0);
  await audit.close();
  await state.knex.destroy();
  process.send({ done, stats: audit.stats, cpuUsPerEntry: Math.round((cpu.user + cpu.system) / done) });
}

async function run(url, processes, seconds, inflight) {
  const schema = `mg_bench_audit_${crypto.randomBytes(4).toString('hex')}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshguard-bench-audit-'));
  // The schema and its tables first, from one process (the migrations are not made for a race).
  const { openState } = dist('state/open-state.js');
  const state = await openState({ stateUrl: url, stateSchema: schema, dataDir });
  const kids = [];
  try {
    for (let i = 0; i < processes; i++) {
      const k = fork(fileURLToPath(import.meta.url), [], { env: { ...process.env, BENCH_CHILD: JSON.stringify({ url, schema, dataDir, seconds, inflight: Math.ceil(inflight / processes) }) } });
      kids.push(k);
      await new Promise((r) => k.once('message', r));
    }
    const t0 = performance.now();
    const results = kids.map((k) => new Promise((r) => k.once('message', r)));
    for (const k of kids) k.send('go');
    const out = await Promise.all(results);
    const elapsed = (performance.now() - t0) / 1000;
    const { verifyChain } = dist('audit/verify-chain.js');
    const { ensureSigningKey } = dist('audit/signing-key.js');
    const report = await verifyChain(state.knex, { publicKey: ensureSigningKey(dataDir).publicKey });
    const entries = out.reduce((a, o) => a + o.done, 0);
    const sum = (f) => out.reduce((a, o) => a + o.stats[f], 0);
    return {
      processes,
      entriesPerSec: Math.round(entries / elapsed),
      entries,
      commits: sum('commits'),
      entriesPerCommit: Math.round((entries / sum('commits')) * 10) / 10,
      rechains: sum('rechains'),
      locked: sum('locked'),
      cpuUsPerEntry: out.map((o) => o.cpuUsPerEntry),
      chainVerifies: report.ok && report.entries === entries,
    };
  } finally {
    for (const k of kids) if (k.exitCode === null) k.kill();
    await state.knex.raw('drop schema if exists ?? cascade', [schema]);
    await state.knex.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function benchAuditAppend({ url, processes = [1, 3], seconds = 5, inflight = 30 } = {}) {
  const rows = [];
  for (const p of processes) {
    const r = await run(url, p, seconds, inflight);
    log(`${p} process(es): ${r.entriesPerSec} entries/s, ${r.entriesPerCommit} per commit, ${r.rechains} rechains, ${r.locked} locked, CPU ${r.cpuUsPerEntry.join(' / ')} us/entry, chain ${r.chainVerifies ? 'verifies' : 'BROKEN'}`);
    rows.push(r);
  }
  console.log(`\naudit appends to the one chain on PostgreSQL state (${seconds} s, ${inflight} entries in flight in all)`);
  console.log('processes  entries/s  per commit  rechains  locked  CPU us/entry (each)  chain');
  for (const r of rows) {
    console.log(`${String(r.processes).padEnd(9)}  ${String(r.entriesPerSec).padStart(9)}  ${String(r.entriesPerCommit).padStart(10)}  ${String(r.rechains).padStart(8)}  ${String(r.locked).padStart(6)}  ${r.cpuUsPerEntry.join(' / ').padEnd(19)}  ${r.chainVerifies ? 'verifies' : 'BROKEN'}`);
  }
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench/results/audit-append.json'), JSON.stringify(rows, null, 2));
  if (rows.some((r) => !r.chainVerifies)) throw new Error('the audit chain did not verify after concurrent appends');
  return rows;
}

if (process.env.BENCH_CHILD) {
  child().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { processes: { type: 'string', default: '1,3' }, seconds: { type: 'string', default: '5' }, inflight: { type: 'string', default: '30' } } });
  const url = process.env.MESHGUARD_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await c.connect().then(() => c.end(), () => {
    log(`no PostgreSQL at ${url.replace(/\/\/[^@]*@/, '//')}`);
    process.exit(0);
  });
  benchAuditAppend({ url, processes: values.processes.split(',').map(Number), seconds: Number(values.seconds), inflight: Number(values.inflight) }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
