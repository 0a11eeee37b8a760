// Nothing lost: the gateway runs as a child process; a burst of requests (reads, writes, refusals,
// failed authentication) is fired at it and it is killed with SIGKILL as soon as half of them have
// been answered. Every request that got an answer has its entry, every acknowledged insert its row,
// and the chain verifies. Every backend.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { readSigningKey } from '../../src/audit/signing-key';
import { verifyChain } from '../../src/audit/verify-chain';
import { BACKENDS, ROOT, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const REGISTER = path.join(__dirname, '..', 'helpers', 'swc-register.js');
const BURST = 400;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

interface Answer { requestId: string; status: number; insertId?: number }

describe.each(BACKENDS)('kill -9 on $name', ({ pg }) => {
  let gw: TestGateway;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // Prepares the data dir, policies, demo data and state (and checks the chain afterwards); the
    // child process serves from the same state.
    gw = await startTestGateway({ pg });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await gw.close();
  });

  it('loses no entry of an acknowledged request', async () => {
    const port = await freePort();
    child = spawn(process.execPath, ['-r', REGISTER, path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      // The 100 bad-token requests all come from one address: with the failed-authentication limit on,
      // those past it would be coalesced into an entry written only when the window ends (lost to kill -9
      // by design, see README "Limits"). This test is about entries of answered requests: each its own.
      env: { PATH: process.env.PATH ?? '', ...gw.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'error', MESHGUARD_AUTH_FAILURES_PER_MINUTE: '0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    for (let i = 0; ; i++) {
      const ok = await new Promise<boolean>((r) => http.get({ port, host: '127.0.0.1', path: '/healthz' }, (res) => (res.resume(), r(res.statusCode === 200))).on('error', () => r(false)));
      if (ok) break;
      if (i > 200 || child.exitCode !== null) throw new Error(`the gateway did not start: ${stderr}`);
      await sleep(100);
    }

    const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    const answers: Answer[] = [];
    const send = (i: number) =>
      new Promise<void>((resolve) => {
        const kind = i % 4;
        const sub = kind === 1 ? 'bob' : 'alice';
        const token = kind === 3 ? 'garbage' : gw.token(sub);
        const insertId = 700_000 + i;
        const body = kind === 1 ? JSON.stringify({ rows: [{ id: insertId, customer_id: 1, region: 'EU', amount: 1, status: 'new', created_at: '2026-01-01T00:00:00Z' }] }) : undefined;
        const p = kind === 2 ? '/v1/datasets/hr/employees/rows' : kind === 1 ? '/v1/datasets/sales/orders/rows' : '/v1/datasets/sales/orders/rows?limit=3';
        const req = http.request(
          { port, host: '127.0.0.1', agent, method: body ? 'POST' : 'GET', path: p, headers: { Authorization: `Bearer ${token}`, ...(body && { 'Content-Type': 'application/json' }) } },
          (res) => {
            res.resume();
            res.on('end', () => {
              answers.push({ requestId: String(res.headers['x-request-id']), status: res.statusCode!, insertId: body && res.statusCode === 201 ? insertId : undefined });
              if (answers.length === BURST / 2) child!.kill('SIGKILL');
              resolve();
            });
            res.on('error', () => resolve());
          },
        );
        req.on('error', () => resolve());
        req.end(body);
      });
    await Promise.all(Array.from({ length: BURST }, (_, i) => send(i)));
    agent.destroy();
    await new Promise((r) => (child!.exitCode !== null || child!.signalCode !== null ? r(null) : child!.once('exit', r)));
    expect(child.signalCode).toBe('SIGKILL');

    expect(answers.length).toBeGreaterThanOrEqual(BURST / 2);
    expect(answers.every((a) => a.status !== 500 && a.status !== 503)).toBe(true);
    const ids = answers.map((a) => a.requestId);
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await gw.deps.state.knex('mg_audit').whereIn('request_id', ids.slice(i, i + 500)).select('request_id');
      for (const r of rows) found.add(r.request_id);
    }
    expect(ids.filter((id) => !found.has(id))).toEqual([]);
    const inserted = answers.filter((a) => a.insertId).map((a) => a.insertId!);
    expect(inserted.length).toBeGreaterThan(0);
    expect(await gw.deps.stores.get('sales')!.knex('orders').whereIn('id', inserted).count({ n: '*' }).first()).toEqual({ n: pg ? String(inserted.length) : inserted.length });
    expect(await verifyChain(gw.deps.state.knex, { publicKey: readSigningKey(gw.dataDir)!.publicKey })).toMatchObject({ ok: true, firstBroken: null });
  }, 90_000);
});
