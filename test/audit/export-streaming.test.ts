// The export streams: it reads the log in keyset batches of at most 1000 entries and writes each
// before reading the next, so the first bytes arrive long before the end, and a reader that stops
// reading stops the export (back-pressure) instead of the gateway buffering the log in memory.
// Asserts on what is read and sent, not on time. Every backend.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BACKENDS, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ENTRIES = 20_000;
const BATCH = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(BACKENDS)('audit export streaming on $name', ({ pg }) => {
  let gw: TestGateway;
  let server: http.Server;
  const batchQueries: number[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    const padding = 'x'.repeat(1000);
    const ts = new Date();
    for (let i = 0; i < ENTRIES; i += 5000) {
      await Promise.all(
        Array.from({ length: 5000 }, (_, j) =>
          gw.deps.audit.record({ ts, requestId: `bulk-${i + j}`, subject: 'bulk', action: 'read', resource: 'sales.orders', decision: 'allow', reason: padding, status: 200 }),
        ),
      );
    }
    gw.deps.state.knex.on('query', (q: { sql: string; bindings?: unknown[] }) => {
      if (/from "mg_audit" where "id" >/.test(q.sql.replace(/`/g, '"')) && /limit/i.test(q.sql)) batchQueries.push(Number(q.bindings?.[q.bindings.length - 1]));
    });
    server = gw.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await gw.close();
  });

  it('sends the first batches before reading the rest, stops reading while the client does not read, then finishes', async () => {
    const total = Number((await gw.deps.state.knex('mg_audit').count({ n: '*' }).first())!.n);
    const batchesNeeded = Math.ceil(total / BATCH);
    const { port } = server.address() as AddressInfo;
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ port, host: '127.0.0.1', path: '/v1/audit/export?format=ndjson', headers: { Authorization: `Bearer ${gw.token('erin')}` } }, resolve).on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['transfer-encoding']).toBe('chunked');

    // The first chunk arrives while most of the log is still unread.
    const first: Buffer = await new Promise((r) => res.once('data', r));
    res.pause();
    expect(first.length).toBeGreaterThan(0);
    expect(batchQueries.length).toBeLessThan(batchesNeeded);

    // While the client reads nothing, the gateway stops reading the log once the socket is full.
    let last = -1;
    while (last !== batchQueries.length) {
      last = batchQueries.length;
      await sleep(300);
    }
    const whilePaused = batchQueries.length;
    expect(whilePaused).toBeLessThanOrEqual(Math.floor(batchesNeeded / 2));

    // Reading again lets it finish: every entry exactly once, oldest first.
    let text = first.toString();
    res.on('data', (c: Buffer) => (text += c.toString()));
    res.resume();
    await new Promise((r) => res.once('end', r));
    const ids = text.trim().split('\n').map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids).toHaveLength(total + 1); // and the export's own entry, committed before the first byte
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1])).toBe(true);
    expect(batchQueries.length).toBeGreaterThanOrEqual(batchesNeeded);
    expect(Math.max(...batchQueries)).toBeLessThanOrEqual(BATCH);
  }, 120_000);
});
