// Diagnostic: where the gateway's synchronous SQLite time goes, per SQL statement, for one workload.
// better-sqlite3 runs on the event loop, so a CPU profile shows all of it as knex `_query`; this
// wraps the driver's prepare/run/all/get (in this process only) and times each statement.
// Usage: npm run build && node bench/query-times.mjs [workload=read50] [seconds=3] [connections=50]
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { WORKLOADS } from './workloads.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const [name = 'read50', seconds = '3', connections = '50'] = process.argv.slice(2);
const w = WORKLOADS.find((x) => x.name === name);
if (!w) throw new Error(`no workload ${name}`);

const times = new Map();
const record = (kind, sql, ns) => {
  const key = `${kind} ${sql.replace(/\s+/g, ' ').replace(/\?(, \?)+/g, '?, ...').slice(0, 110)}`;
  const t = times.get(key) ?? { calls: 0, ns: 0n };
  t.calls++;
  t.ns += ns;
  times.set(key, t);
};
const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('select 1'));
for (const m of ['run', 'all', 'get']) {
  const orig = Statement[m];
  Statement[m] = function (...a) {
    const t0 = process.hrtime.bigint();
    try {
      return orig.apply(this, a);
    } finally {
      record(m, this.source, process.hrtime.bigint() - t0);
    }
  };
}
const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (sql, ...a) {
  const t0 = process.hrtime.bigint();
  try {
    return prepare.call(this, sql, ...a);
  } finally {
    record('prepare', sql, process.hrtime.bigint() - t0);
  }
};

const { loadConfig } = require(path.join(ROOT, 'dist/src/config.js'));
const { openGateway } = require(path.join(ROOT, 'dist/src/gateway.js'));
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshguard-qt-'));
const secret = crypto.randomBytes(32).toString('hex');
const config = loadConfig({ MESHGUARD_DATA_DIR: dataDir, MESHGUARD_POLICIES_DIR: path.join(ROOT, 'policies'), MESHGUARD_JWT_SECRET: secret, LOG_LEVEL: 'warn' });
const gw = await openGateway(config);
const server = gw.app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
times.clear();
const token = jwt.sign({ sub: w.subject }, secret, { algorithm: 'HS256', expiresIn: '1h' });
const t0 = process.hrtime.bigint();
const result = await autocannon({
  url: `http://127.0.0.1:${server.address().port}${w.path}`,
  method: w.method,
  connections: Number(connections),
  duration: Number(seconds),
  headers: { authorization: `Bearer ${token}`, ...(w.headers ?? {}) },
});
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
const n = result.requests.total;
console.log(`${name}: ${n} requests in ${(wallMs / 1000).toFixed(1)} s (${result.requests.average} req/s, in-process load), statuses ${JSON.stringify(Object.fromEntries(Object.entries(result.statusCodeStats).map(([k, v]) => [k, v.count])))}`);
console.log(`${'ms total'.padStart(9)} ${'calls'.padStart(7)} ${'us/call'.padStart(8)} ${'us/req'.padStart(7)}  statement`);
let sum = 0;
for (const [k, t] of [...times].sort((a, b) => Number(b[1].ns - a[1].ns)).slice(0, 20)) {
  const ms = Number(t.ns) / 1e6;
  sum += ms;
  console.log(`${ms.toFixed(0).padStart(9)} ${String(t.calls).padStart(7)} ${((ms * 1000) / t.calls).toFixed(0).padStart(8)} ${((ms * 1000) / n).toFixed(0).padStart(7)}  ${k}`);
}
console.log(`SQLite time ${sum.toFixed(0)} ms of ${wallMs.toFixed(0)} ms wall (${((100 * sum) / wallMs).toFixed(0)}% of the event loop)`);
await new Promise((r) => server.close(r));
await gw.close();
fs.rmSync(dataDir, { recursive: true, force: true });
