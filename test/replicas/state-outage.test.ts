// The state store goes away and comes back: two replicas reach PostgreSQL through a TCP proxy of the
// test's own, which is cut under load and restored. While it is cut every request fails closed (503
// with a clear code, nothing served without its audit entry); after it returns the replicas serve
// again by themselves, and no acknowledged request's audit entry is missing.
import http from 'node:http';
import { readSigningKey } from '../../src/audit/signing-key';
import { verifyChain } from '../../src/audit/verify-chain';
import { startChild, stopChild, type ChildGateway } from '../helpers/child-process';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { PG_URL, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MAX_REQUESTS = 20_000;

interface Answer {
  requestId: string;
  status: number;
  code?: string;
  phase: 'before' | 'cut' | 'after';
}

function get(port: number, agent: http.Agent, path: string, token: string): Promise<{ status: number; requestId: string; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ port, host: '127.0.0.1', agent, path, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, requestId: String(res.headers['x-request-id']), body }));
      res.on('error', () => resolve(undefined));
    });
    req.setTimeout(15_000, () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

(PG_URL ? describe : describe.skip)('the state store cut and restored under load', () => {
  let gw: TestGateway;
  let proxy: TcpProxy;
  let replicas: ChildGateway[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    gw = await startTestGateway({ pg: true, env: { MESHGUARD_AUTH_FAILURES_PER_MINUTE: '0' } });
    const url = new URL(PG_URL!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    replicas = await Promise.all([0, 1].map(() => startChild({ ...gw.env, MESHGUARD_STATE_URL: url.toString() })));
  }, 60_000);
  afterAll(async () => {
    agent.destroy();
    await Promise.all(replicas.map((r) => stopChild(r.child, 'SIGKILL')));
    await proxy.close();
    await gw.close();
  });

  it('fails closed while cut, recovers by itself, and loses no acknowledged audit entry', async () => {
    const answers: Answer[] = [];
    let phase: Answer['phase'] = 'before';
    let stop = false;
    let sent = 0;
    const worker = async (w: number) => {
      while (!stop && sent < MAX_REQUESTS) {
        const port = replicas[sent++ % replicas.length].port;
        const at = phase;
        const a = await get(port, agent, '/v1/datasets/sales/orders/rows?limit=2', gw.token(w % 2 ? 'alice' : 'bob'));
        if (a) answers.push({ requestId: a.requestId, status: a.status, code: a.status >= 400 ? JSON.parse(a.body).code : undefined, phase: at === phase ? at : 'cut' });
        else await sleep(20);
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await sleep(1000);
    proxy.cut();
    phase = 'cut';
    await sleep(3000);
    proxy.restore();
    phase = 'after';
    const restoredAt = Date.now();
    // Within a generous bound, each replica serves again by itself.
    const served = new Set<number>();
    while (served.size < replicas.length && Date.now() - restoredAt < 20_000) {
      await sleep(100);
      for (const [i, r] of replicas.entries()) if ((await get(r.port, agent, '/v1/datasets/sales/orders/rows?limit=1', gw.token('alice')))?.status === 200) served.add(i);
    }
    const recoveredMs = Date.now() - restoredAt;
    await sleep(500);
    stop = true;
    await load;

    expect(served.size).toBe(replicas.length);
    if (process.env.MESHGUARD_TEST_REPORT) process.stderr.write(`recovered in ${recoveredMs} ms; ${JSON.stringify(answers.reduce<Record<string, number>>((m, a) => ((m[`${a.phase} ${a.status} ${a.code ?? ''}`] = (m[`${a.phase} ${a.status} ${a.code ?? ''}`] ?? 0) + 1), m), {}))}\n`);
    const during = answers.filter((a) => a.phase === 'cut');
    expect(during.length).toBeGreaterThan(0);
    // While cut: nothing but 503 with a code that names the state store or the audit log (and the
    // answers already committed when the cut came).
    const failed = during.filter((a) => a.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    for (const a of failed) expect(['503 store_unavailable', '503 audit_unavailable']).toContain(`${a.status} ${a.code}`);
    expect(answers.filter((a) => a.phase === 'before').every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.phase === 'after' && a.status === 200).length).toBeGreaterThan(0);

    // Every answer served (200) has its audit entry, and the chain verifies.
    const ok = answers.filter((a) => a.status === 200).map((a) => a.requestId);
    const found = new Set<string>();
    for (let i = 0; i < ok.length; i += 500) {
      for (const r of await gw.deps.state.knex('mg_audit').whereIn('request_id', ok.slice(i, i + 500)).select('request_id')) found.add(r.request_id);
    }
    expect(ok.filter((id) => !found.has(id))).toEqual([]);
    expect(await verifyChain(gw.deps.state.knex, { publicKey: readSigningKey(gw.dataDir)!.publicKey })).toMatchObject({ ok: true, firstBroken: null });
    // And the replicas are ready again.
    for (const r of replicas) expect((await get(r.port, agent, '/readyz', ''))?.status).toBe(200);
  }, 60_000);
});
