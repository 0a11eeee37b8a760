// Governed writes: one transaction per request, typed values, 409 on a key conflict, nothing
// written on any error, and the audit entry committed with the write. On every backend.
import { ROW_BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ORDERS = '/v1/datasets/sales/orders/rows';
const order = (id: number, extra: Record<string, unknown> = {}) => ({ id, customer_id: 7, region: 'EU', amount: 12.5, status: 'pending', created_at: '2026-03-01T10:00:00Z', ...extra });

describe.each(ROW_BACKENDS)('writes on $name', ({ pg, storeKinds }) => {
  let gw: TestGateway;
  let bob: Record<string, string>;
  const orders = () => gw.deps.stores.get('sales')!.knex('orders');
  const auditFor = async (requestId: string) => gw.deps.state.knex('mg_audit').where({ request_id: requestId });

  beforeAll(async () => {
    gw = await startTestGateway({ pg, storeKinds });
    bob = bearer(gw.token('bob'));
  });
  afterAll(() => gw.close());

  it('inserts a batch in one transaction and answers 201 { inserted }', async () => {
    const r = await gw.http().post(ORDERS).set(bob).send({ rows: [order(10001), order(10002, { amount: 99.99 })] });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ inserted: 2 });
    const stored = await orders().whereIn('id', [10001, 10002]).orderBy('id');
    expect(stored.map((x: { amount: unknown }) => Number(x.amount))).toEqual([12.5, 99.99]);
    const [entry] = await auditFor(r.headers['x-request-id']);
    expect(entry).toMatchObject({ action: 'insert', resource: 'sales.orders', decision: 'allow', status: 201 });
    expect(Number(entry.row_count)).toBe(2);
  });

  it('answers 409 on a key conflict and writes nothing of the batch', async () => {
    const before = (await orders().count({ n: '*' }))[0].n;
    const r = await gw.http().post(ORDERS).set(bob).send({ rows: [order(10003), order(1)] });
    expect(r.status).toBe(409);
    expect(r.body.code).toBe('conflict');
    expect(await orders().where({ id: 10003 })).toHaveLength(0);
    expect((await orders().count({ n: '*' }))[0].n).toEqual(before);
    const entries = await auditFor(r.headers['x-request-id']);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ decision: 'deny', status: 409 });
  });

  it.each([
    ['a wrong type', { rows: [order(10004, { amount: 'lots' })] }, 'invalid_value'],
    ['an unknown column', { rows: [order(10004, { colour: 'red' })] }, 'unknown_column'],
    ['a bad timestamp', { rows: [order(10004, { created_at: 'yesterday' })] }, 'invalid_value'],
    ['a missing primary key', { rows: [{ region: 'EU' }] }, 'invalid_value'],
    ['no rows', { rows: [] }, 'invalid_body'],
    ['rows that are not objects', { rows: [1, 2] }, 'invalid_body'],
    ['an extra member', { rows: [order(10004)], upsert: true }, 'invalid_body'],
    ['one bad row among good ones', { rows: [order(10004), order(10005), order(10006, { amount: [1] })] }, 'invalid_value'],
  ])('refuses %s with 400 and writes nothing', async (_name, body, code) => {
    const r = await gw.http().post(ORDERS).set(bob).send(body);
    expect(r.status).toBe(400);
    expect(r.body.code).toBe(code);
    expect(await orders().whereIn('id', [10004, 10005, 10006])).toHaveLength(0);
  });

  it('refuses a body that is not JSON (415), malformed (400) or over 1 MB (413)', async () => {
    expect((await gw.http().post(ORDERS).set(bob).set('content-type', 'text/plain').send('id=1')).status).toBe(415);
    const bad = await gw.http().post(ORDERS).set(bob).set('content-type', 'application/json').send('{"rows": [');
    expect([bad.status, bad.body.code]).toEqual([400, 'malformed_json']);
    const big = JSON.stringify({ rows: Array.from({ length: 9000 }, (_, i) => order(20000 + i, { status: 'x'.repeat(100) })) });
    const r = await gw.http().post(ORDERS).set(bob).set('content-type', 'application/json').send(big);
    expect([r.status, r.body.code]).toEqual([413, 'payload_too_large']);
    expect(await orders().where('id', '>=', 20000)).toHaveLength(0);
  });

  it('updates the rows matching the filters and answers { updated }', async () => {
    const r = await gw.http().patch(`${ORDERS}?id=in.(10001,10002)`).set(bob).send({ set: { status: 'refunded', amount: 1 } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ updated: 2 });
    const rows = await orders().whereIn('id', [10001, 10002]);
    expect(rows.every((x: { status: string; amount: unknown }) => x.status === 'refunded' && Number(x.amount) === 1)).toBe(true);
  });

  it('refuses an update without filters, of the primary key, or of an unknown column', async () => {
    expect((await gw.http().patch(ORDERS).set(bob).send({ set: { status: 'paid' } })).body.code).toBe('filter_required');
    expect((await gw.http().patch(`${ORDERS}?id=eq.10001`).set(bob).send({ set: { id: 5 } })).body.code).toBe('invalid_body');
    expect((await gw.http().patch(`${ORDERS}?id=eq.10001`).set(bob).send({ set: { colour: 'red' } })).body.code).toBe('unknown_column');
    expect((await gw.http().patch(`${ORDERS}?id=eq.10001`).set(bob).send({ set: {} })).body.code).toBe('invalid_body');
    expect((await gw.http().patch(`${ORDERS}?id=eq.10001&limit=5`).set(bob).send({ set: { status: 'paid' } })).body.code).toBe('unknown_parameter');
  });

  it('refuses writes to an analyst, and confidential columns to a scientist', async () => {
    const alice = bearer(gw.token('alice'));
    expect((await gw.http().post(ORDERS).set(alice).send({ rows: [order(10007)] })).status).toBe(403);
    expect((await gw.http().patch(`${ORDERS}?id=eq.1`).set(alice).send({ set: { status: 'paid' } })).status).toBe(403);
    expect(await orders().where({ id: 10007 })).toHaveLength(0);
    await gw.http().post('/v1/grants').set(bearer(gw.token('dana'))).send({ subject: 'sid', role: 'scientist', domain: 'hr', reason: 'attrition model' });
    const sid = bearer(gw.token('sid'));
    const r = await gw.http().patch('/v1/datasets/hr/employees/rows?id=eq.1').set(sid).send({ set: { salary: 1 } });
    expect([r.status, r.body.code]).toEqual([403, 'column_denied']);
    expect((await gw.http().patch('/v1/datasets/hr/employees/rows?id=eq.1').set(sid).send({ set: { department: 'finance' } })).status).toBe(200);
  });

  it('refuses the write and writes nothing when its audit entry cannot be committed', async () => {
    const state = gw.deps.state.knex;
    await state.schema.renameTable('mg_audit', 'mg_audit_away');
    try {
      const r = await gw.http().post(ORDERS).set(bob).send({ rows: [order(10008)] });
      expect(r.status).toBe(503);
      expect(r.body.code).toBe('audit_unavailable');
      const read = await gw.http().get(`${ORDERS}?limit=1`).set(bob);
      expect(read.status).toBe(503);
      expect(read.body.rows).toBeUndefined();
    } finally {
      await state.schema.renameTable('mg_audit_away', 'mg_audit');
    }
    expect(await orders().where({ id: 10008 })).toHaveLength(0);
  });
});
