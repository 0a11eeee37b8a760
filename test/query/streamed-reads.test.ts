// Reads stream (issue 10, finding 1): an answer far larger than the heap is served by a gateway
// running with a small --max-old-space-size; while it is served, /healthz and other reads answer
// promptly; a client that goes away stops the read (and the audit log says how far it went); the
// answer cap ends a stream with an error the client cannot mistake for a whole answer. Every backend.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { BACKENDS, ROOT, bearer, startTestGateway, type TestGateway, listen } from '../helpers/test-gateway';

const REGISTER = path.join(__dirname, '..', 'helpers', 'swc-register.js');
const CUSTOMERS = '/v1/datasets/sales/customers/rows';
const BIG = 'x'.repeat(64 * 1024 - 16);
const PLANTED = 400; // rows of ~192 KB: an answer of ~51 MB for an analyst (email masked)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The connection was cut before the answer was complete. */
  cut: boolean;
}

function get(port: number, p: string, headers: Record<string, string>, opts: { onFirstChunk?: (req: http.ClientRequest, res: http.IncomingMessage) => void } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, headers }, (res) => {
      const chunks: Buffer[] = [];
      let first = true;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        if (first) {
          first = false;
          opts.onFirstChunk?.(req, res);
        }
      });
      const done = (cut: boolean) => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), cut });
      res.on('end', () => done(!res.complete));
      res.on('aborted', () => done(true));
      res.on('error', () => done(true));
    });
    req.on('error', reject);
  });
}

async function waitForHealth(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((r) => http.get({ port, host: '127.0.0.1', path: '/healthz' }, (res) => (res.resume(), r(res.statusCode === 200))).on('error', () => r(false)));
    if (ok) return;
    if (i > 300 || child.exitCode !== null) throw new Error(`the gateway did not start: ${stderr()}`);
    await sleep(100);
  }
}

describe.each(BACKENDS)('streamed reads on $name', ({ pg }) => {
  let gw: TestGateway;
  let alice: Record<string, string>;
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    alice = bearer(gw.token('alice'));
    const bob = bearer(gw.token('bob'));
    // A scientist plants large rows, two per insert (each request stays under the 1 MB body limit).
    for (let id = 100000; id < 100000 + PLANTED; id += 2) {
      const rows = [id, id + 1].map((i) => ({ id: i, name: `${i}${BIG}`, email: `${i}${BIG}`, region: 'EU', segment: `${i}${BIG}` }));
      const r = await gw.http().post(CUSTOMERS).set(bob).send({ rows });
      expect(r.status).toBe(201);
    }
    ({ server, port } = await listen(gw.app));
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await gw.close();
  });

  it('serves a read of at most 100 rows larger than a batch (fetched in one call on SQLite) row for row, as a larger read', async () => {
    // 20 rows of ~192 KB: more than a batch's 256 K characters, so the answer streams in several batches.
    const small = await get(port, `${CUSTOMERS}?id=gte.100000&limit=20`, alice);
    const large = await get(port, `${CUSTOMERS}?id=gte.100000&limit=120`, alice);
    for (const r of [small, large]) {
      expect(r.status).toBe(200);
      expect(r.cut).toBe(false);
    }
    const rowsOf = (r: Raw) => (JSON.parse(r.body) as { rows: { id: number; name: string }[] }).rows;
    expect(rowsOf(small).map((x) => x.id)).toEqual(Array.from({ length: 20 }, (_, k) => 100000 + k));
    expect(rowsOf(small)).toEqual(rowsOf(large).slice(0, 20));
    expect(rowsOf(small)[19].name).toBe(`100019${BIG}`);
  });

  it('serves an answer far larger than its heap, in bounded memory', async () => {
    const childPort = port + 1000 > 65000 ? port - 1000 : port + 1000;
    const child = spawn(process.execPath, ['--max-old-space-size=96', '-r', REGISTER, path.join(ROOT, 'src/main.ts')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...gw.env, HOST: '127.0.0.1', PORT: String(childPort), LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await waitForHealth(childPort, child, () => stderr);
      const r = await get(childPort, `${CUSTOMERS}?id=gte.100000&limit=1700`, alice);
      expect(r.cut).toBe(false);
      expect(r.status).toBe(200);
      const body = JSON.parse(r.body);
      expect(body.rows).toHaveLength(PLANTED);
      expect(body.rows[0].name).toBe(`100000${BIG}`);
      expect(body.rows[0].email).toMatch(/^tok_/);
      expect(body).toMatchObject({ limit: 1700, offset: 0 });
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);

  it('keeps answering /healthz and other reads while a huge answer is served to a slow client', async () => {
    let slow!: http.IncomingMessage;
    const big = get(port, `${CUSTOMERS}?id=gte.100000&limit=1700`, alice, { onFirstChunk: (_req, res) => ((slow = res), res.pause()) });
    while (!slow) await sleep(10);
    const t0 = Date.now();
    const health = await get(port, '/healthz', {});
    const other = await get(port, '/v1/datasets/sales/orders/rows?limit=5', alice);
    expect(health.status).toBe(200);
    expect(other.status).toBe(200);
    expect(JSON.parse(other.body).rows).toHaveLength(5);
    expect(Date.now() - t0).toBeLessThan(5000);
    slow.resume();
    const r = await big;
    expect(r.cut).toBe(false);
    expect(JSON.parse(r.body).rows).toHaveLength(PLANTED);
  }, 60_000);

  it('stops the read when the client goes away, and audits how far it went', async () => {
    const requestId = `gone-${pg ? 'pg' : 'sqlite'}-${Date.now()}`;
    await get(port, `${CUSTOMERS}?id=gte.100000&limit=1700`, { ...alice, 'X-Request-Id': requestId }, { onFirstChunk: (req) => req.destroy() }).catch(() => undefined);
    let entries: { row_count: number | null; details: string | null }[] = [];
    for (let i = 0; i < 100 && entries.length < 2; i++) {
      await sleep(50);
      entries = await gw.deps.state.knex('mg_audit').where({ request_id: requestId }).orderBy('id');
    }
    expect(entries).toHaveLength(2);
    expect(entries[0].row_count).toBeNull();
    const ended = JSON.parse(entries[1].details!);
    expect(ended.outcome).toBe('client_closed');
    expect(Number(entries[1].row_count)).toBeLessThan(PLANTED);
  }, 60_000);

  it('audits a streamed read twice: before its first byte, and with its row count at the end', async () => {
    const requestId = `whole-${pg ? 'pg' : 'sqlite'}-${Date.now()}`;
    const r = await get(port, `${CUSTOMERS}?id=gte.100000&limit=1700`, { ...alice, 'X-Request-Id': requestId });
    expect(r.cut).toBe(false);
    const entries = await gw.deps.state.knex('mg_audit').where({ request_id: requestId }).orderBy('id');
    expect(entries).toHaveLength(2);
    expect(JSON.parse(entries[1].details)).toMatchObject({ outcome: 'complete', streamed: true, completes: Number(entries[0].id) });
    expect(Number(entries[1].row_count)).toBe(PLANTED);
  }, 60_000);
});

describe.each(BACKENDS)('the answer cap on $name', ({ pg }) => {
  let gw: TestGateway;
  let alice: Record<string, string>;
  let server: net.Server;
  let port: number;
  const CAP = 2 * 1024 * 1024;
  const TEN_KB = 'y'.repeat(10 * 1024);

  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_MAX_RESPONSE_BYTES: String(CAP) } });
    alice = bearer(gw.token('alice'));
    const bob = bearer(gw.token('bob'));
    // 300 rows of ~20 KB: the first batch fits under the cap, the whole answer (~6 MB) does not.
    for (let id = 100000; id < 100300; id += 30) {
      const rows = Array.from({ length: 30 }, (_, k) => ({ id: id + k, name: TEN_KB, email: null, region: 'EU', segment: TEN_KB }));
      expect((await gw.http().post(CUSTOMERS).set(bob).send({ rows })).status).toBe(201);
    }
    ({ server, port } = await listen(gw.app));
  }, 60_000);
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await gw.close();
  });

  it('ends a stream past the cap with response_too_large and a cut connection', async () => {
    const r = await get(port, `${CUSTOMERS}?id=gte.100000&limit=1000`, alice);
    expect(r.status).toBe(200);
    expect(r.cut).toBe(true);
    expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(CAP + 4096);
    const tail = JSON.parse(r.body);
    expect(tail.error).toMatchObject({ code: 'response_too_large', status: 400, limitBytes: CAP });
    expect(tail.rows.length).toBeGreaterThan(0);
    expect(tail.rows.length).toBeLessThan(300);
  });

  it('refuses with a problem, before any byte, when the first batch is already past the cap', async () => {
    const small = await startTestGateway({ pg, env: { MESHGUARD_MAX_RESPONSE_BYTES: String(64 * 1024) } });
    try {
      const rows = [1, 2].map((i) => ({ id: 200000 + i, name: BIG, email: null, region: 'EU', segment: BIG }));
      expect((await small.http().post(CUSTOMERS).set(bearer(small.token('bob'))).send({ rows })).status).toBe(201);
      const r = await small.http().get(`${CUSTOMERS}?id=gte.200000`).set(bearer(small.token('alice')));
      expect(r.status).toBe(400);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ code: 'response_too_large', limitBytes: 64 * 1024 });
      const entry = await small.deps.state.knex('mg_audit').where({ request_id: r.body.requestId }).first();
      expect(entry).toMatchObject({ decision: 'deny', status: 400 });
    } finally {
      await small.close();
    }
  });

  it('answers small reads as before', async () => {
    const r = await gw.http().get('/v1/datasets/sales/orders/rows?limit=3').set(alice);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ limit: 3, offset: 0 });
    expect(r.body.rows).toHaveLength(3);
    expect(r.headers['content-length']).toBeDefined();
  });
});
