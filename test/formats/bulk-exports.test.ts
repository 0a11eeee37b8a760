// Bulk formats (issue 12): no limit needed (every row, in primary-key order unless `order` says
// otherwise), no answer cap, and a per-role export row limit from roles.yaml that refuses before the
// first byte when it can and otherwise cuts the stream (NDJSON with an error line) and says so in the
// audit log. Every backend.
import type net from 'node:net';
import { tableFromIPC } from 'apache-arrow';
import { editPolicy } from '../helpers/policy-copy';
import { BACKENDS, bearer, startTestGateway, type TestGateway, listen } from '../helpers/test-gateway';
import { arrowToRows, asBytes, csvToRows, ndjsonToRows, parquetToRows, rawGet, type Types } from './read-formats';

const ORDERS = '/v1/datasets/sales/orders/rows';
const TOTAL = 12_000; // 1,000 demo orders and 11,000 planted: a dozen batches, two Parquet row groups
const CAP = 256 * 1024; // far less than the whole table as JSON
const TYPES: Types = { id: 'integer', customer_id: 'integer', region: 'text', amount: 'decimal', status: 'text', created_at: 'timestamp' };
const ACCEPT = { csv: 'text/csv', ndjson: 'application/x-ndjson', arrow: 'application/vnd.apache.arrow.stream', parquet: 'application/vnd.apache.parquet' };

describe.each(BACKENDS)('bulk exports on $name', ({ pg }) => {
  let gw: TestGateway;
  let server: net.Server;
  let port: number;
  const as = (s: string) => bearer(gw.token(s));
  const bytes = (who: string, query: string, accept: string) => gw.http().get(`${ORDERS}${query}`).set(as(who)).set('Accept', accept).buffer(true).parse(asBytes);
  const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.id);

  beforeAll(async () => {
    gw = await startTestGateway({
      pg,
      env: { MESHGUARD_MAX_RESPONSE_BYTES: String(CAP) },
      policies: (dir) =>
        editPolicy(dir, 'roles.yaml', (doc) => {
          doc.roles.analyst.exportRowLimit = 50;
          doc.roles.scientist.exportRowLimit = 2600;
        }),
    });
    const g = await gw.http().post('/v1/grants').set(as('dana')).send({ subject: 'stu', role: 'steward', domain: 'sales', reason: 'bulk export test' });
    expect(g.status).toBe(201);
    for (let id = 1001; id <= TOTAL; id += 5000) {
      const rows = Array.from({ length: Math.min(5000, TOTAL - id + 1) }, (_, k) => ({
        id: id + k,
        customer_id: 1 + ((id + k) % 200),
        region: ['EU', 'NA', 'APAC'][(id + k) % 3],
        amount: ((id + k) % 997) + 0.25,
        status: (id + k) % 7 ? 'paid' : null,
        created_at: new Date(Date.UTC(2025, 5, 1) + (id + k) * 60_000).toISOString(),
      }));
      expect((await gw.http().post(ORDERS).set(as('bob')).send({ rows })).status).toBe(201);
    }
    ({ server, port } = await listen(gw.app));
  }, 120_000);
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await gw.close();
  });

  it('without limit, every bulk format answers every row in primary-key order; JSON keeps its default and its cap', async () => {
    const expectedIds = Array.from({ length: TOTAL }, (_, k) => k + 1);
    const csv = await bytes('stu', '', ACCEPT.csv);
    expect(csv.status).toBe(200);
    expect(ids(csvToRows(csv.body.toString(), TYPES).rows)).toEqual(expectedIds);
    const nd = await bytes('stu', '', ACCEPT.ndjson);
    const ndRows = ndjsonToRows(nd.body.toString());
    expect(ids(ndRows)).toEqual(expectedIds);
    const arrow = await bytes('stu', '', ACCEPT.arrow);
    const table = tableFromIPC(arrow.body as Buffer);
    expect(table.batches.length).toBeGreaterThan(1); // one record batch per batch read, not one for the whole answer
    expect(arrowToRows(arrow.body as Buffer, TYPES).rows).toEqual(ndRows);
    const parquet = await bytes('stu', '', ACCEPT.parquet);
    const p = await parquetToRows(parquet.body as Buffer, TYPES);
    expect(p.rowGroups).toBe(2);
    expect(p.rows).toEqual(ndRows);
    // The whole table is far over the answer cap as JSON: bulk formats are not held to it.
    expect(csv.body.length).toBeGreaterThan(CAP);
    const capped = await rawGet(port, `${ORDERS}?limit=10000`, as('stu'));
    expect(capped.cut).toBe(true);
    expect(capped.body.toString()).toMatch(/"error":\{[^}]*"code":"response_too_large"/);
    const json = await gw.http().get(ORDERS).set(as('stu'));
    expect(json.body.rows).toHaveLength(100);
    expect((await gw.http().get(`${ORDERS}?limit=10001`).set(as('stu'))).status).toBe(400);
    expect(csvToRows((await bytes('stu', '?limit=10001', ACCEPT.csv)).body.toString(), TYPES).rows).toHaveLength(10001);
  }, 60_000);

  it('order, limit, offset and filters shape a bulk answer as they shape JSON', async () => {
    const q = '?order=amount.desc,id.asc&limit=40&offset=7&region=eq.EU';
    const json = await gw.http().get(`${ORDERS}${q}`).set(as('stu'));
    expect(json.body.rows).toHaveLength(40);
    for (const [fmt, accept] of Object.entries(ACCEPT)) {
      const r = await bytes('stu', q, accept);
      const rows =
        fmt === 'csv' ? csvToRows(r.body.toString(), TYPES).rows : fmt === 'ndjson' ? ndjsonToRows(r.body.toString()) : fmt === 'arrow' ? arrowToRows(r.body, TYPES).rows : (await parquetToRows(r.body, TYPES)).rows;
      expect({ fmt, rows }).toEqual({ fmt, rows: json.body.rows });
    }
  });

  it('an export over the role limit, known before the first byte, is refused with export_limit_exceeded', async () => {
    for (const accept of Object.values(ACCEPT)) {
      const requestId = `over-${pg ? 'pg' : 'sqlite'}-${accept.length}-${Date.now()}`;
      const r = await gw.http().get(ORDERS).set(as('alice')).set('Accept', accept).set('X-Request-Id', requestId);
      expect([r.status, r.body.code, r.body.limitRows]).toEqual([400, 'export_limit_exceeded', 50]);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.headers['content-disposition']).toBeUndefined();
      const audit = await gw.deps.state.knex('mg_audit').where({ request_id: requestId });
      expect(audit.map((e: { status: number; decision: string }) => [Number(e.status), e.decision])).toEqual([[400, expect.any(String)]]);
    }
    expect(csvToRows((await bytes('alice', '?limit=50', ACCEPT.csv)).body.toString(), TYPES).rows).toHaveLength(50);
    expect((await bytes('alice', '?limit=51', ACCEPT.csv)).status).toBe(400);
    // The export limit is for bulk formats; JSON pages stay as they were.
    expect((await gw.http().get(`${ORDERS}?limit=100`).set(as('alice'))).body.rows).toHaveLength(100);
  });

  it('an export that passes the role limit mid-stream is cut: NDJSON ends with an error line, the others without their end; the audit says why', async () => {
    const bob = as('bob');
    const requestId = `limit-${pg ? 'pg' : 'sqlite'}-${Date.now()}`;
    const nd = await rawGet(port, ORDERS, { ...bob, Accept: ACCEPT.ndjson, 'X-Request-Id': requestId });
    expect([nd.status, nd.cut]).toEqual([200, true]);
    const lines = ndjsonToRows(nd.body.toString());
    expect(lines).toHaveLength(2601);
    expect(ids(lines.slice(0, 2600))).toEqual(Array.from({ length: 2600 }, (_, k) => k + 1));
    expect(lines[2600]).toEqual({ error: expect.objectContaining({ code: 'export_limit_exceeded', limitRows: 2600, status: 400 }) });
    const entries = await gw.deps.state.knex('mg_audit').where({ request_id: requestId }).orderBy('id');
    expect(entries).toHaveLength(2);
    expect(Number(entries[1].row_count)).toBe(2600);
    expect(JSON.parse(entries[1].details)).toMatchObject({ outcome: 'export_limit_reached', code: 'export_limit_exceeded', format: 'ndjson', completes: Number(entries[0].id) });

    const csv = await rawGet(port, ORDERS, { ...bob, Accept: ACCEPT.csv });
    expect([csv.status, csv.cut]).toEqual([200, true]);
    expect(csvToRows(csv.body.toString(), TYPES).rows).toHaveLength(2600);
    const arrow = await rawGet(port, ORDERS, { ...bob, Accept: ACCEPT.arrow });
    expect([arrow.status, arrow.cut]).toEqual([200, true]);
    const parquet = await rawGet(port, ORDERS, { ...bob, Accept: ACCEPT.parquet });
    expect([parquet.status, parquet.cut]).toEqual([200, true]);
    await expect(parquetToRows(parquet.body, TYPES)).rejects.toThrow(); // no footer: no reader takes it for a file

    const whole = await rawGet(port, `${ORDERS}?limit=2600`, { ...bob, Accept: ACCEPT.arrow });
    expect([whole.status, whole.cut]).toEqual([200, false]);
    expect(tableFromIPC(whole.body).numRows).toBe(2600);
  }, 60_000);
});
