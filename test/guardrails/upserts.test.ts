// Batch upserts (?on_conflict=), dry runs and the static guardrails (rows per request, value bounds,
// change per update, quotas, role limits) on the real app, on every backend: refused whole, nothing written.
import { editPolicy } from '../helpers/policy-copy';
import { BACKENDS, TestClock, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const BIDS = '/v1/datasets/marketing/bids/rows';
const bid = (id: number, value: unknown, extra: Record<string, unknown> = {}) => ({
  id,
  campaign_id: 100 + Math.floor(id / 1000),
  keyword: `kw-${id}`,
  bid: value,
  updated_at: '2026-11-01T00:00:00Z',
  ...extra,
});

describe.each(BACKENDS)('upserts and guardrails on $name', ({ pg }) => {
  let gw: TestGateway;
  let sam: Record<string, string>;
  const bids = () => gw.deps.stores.get('marketing')!.knex('bids');
  const count = async () => Number((await bids().count({ n: '*' }))[0].n);
  const writeLog = async () => Number((await gw.deps.state.knex('mg_guard_writes').sum({ n: 'rows' }))[0].n ?? 0);

  beforeAll(async () => {
    gw = await startTestGateway({
      pg,
      clock: new TestClock(Date.UTC(2026, 10, 26, 9, 1)),
      policies: (dir) => {
        editPolicy(dir, 'datasets/marketing.yaml', (d) => {
          d.datasets.bids.guardrails.quota = { rows: 8000, per: '1h' };
          delete d.datasets.bids.guardrails.breaker; // the breaker has its own tests
        });
        editPolicy(dir, 'roles.yaml', (d) => {
          d.roles.bid_inserter = { scope: 'domain', maxGrantDays: 30, rules: [{ actions: ['read', 'insert'], datasets: ['bids'] }] };
          d.roles.junior_scientist = { scope: 'domain', maxGrantDays: 30, inherits: ['scientist'], guardrails: { maxRowsPerRequest: 3 } };
        });
      },
    });
    sam = bearer(gw.token('sam'));
    const dana = bearer(gw.token('dana'));
    for (const [subject, role] of [['ivy', 'bid_inserter'], ['jay', 'junior_scientist']]) {
      const g = await gw.http().post('/v1/grants').set(dana).send({ subject, role, domain: 'marketing', reason: 'test' });
      expect(g.status).toBe(201);
    }
  });
  afterAll(() => gw.close());

  it('upserts a batch on the primary key: inserted, updated and unchanged counts, one transaction', async () => {
    const [one] = await bids().where({ id: 1 });
    const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({
      rows: [bid(50001, 1.5), bid(50002, 2), { id: 1, bid: Number(one.bid) * 1.1 }, { id: 2 }],
    });
    expect([r.status, r.body]).toEqual([200, { inserted: 2, updated: 1, unchanged: 1 }]);
    expect(Number((await bids().where({ id: 1 }))[0].bid)).toBeCloseTo(Math.round(Number(one.bid) * 110) / 100, 2);
    expect(await bids().whereIn('id', [50001, 50002])).toHaveLength(2);
    const again = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: [bid(50001, 1.5), bid(50002, 2)] });
    expect(again.body).toEqual({ inserted: 0, updated: 0, unchanged: 2 });
  });

  it('upserts into an unguarded dataset too (sales.orders), with the update permission checked on the stored row', async () => {
    const bob = bearer(gw.token('bob'));
    const order = { id: 91001, customer_id: 7, region: 'EU', amount: 10, status: 'pending', created_at: '2026-03-01T10:00:00Z' };
    const r = await gw.http().post('/v1/datasets/sales/orders/rows?on_conflict=id').set(bob).send({ rows: [order, { id: 1, status: 'refunded' }] });
    expect([r.status, r.body]).toEqual([200, { inserted: 1, updated: 1, unchanged: 0 }]);
    const [one] = await gw.deps.stores.get('sales')!.knex('orders').where({ id: 1 });
    expect(one.status).toBe('refunded');
    const patch = await gw.http().patch('/v1/datasets/sales/orders/rows?id=eq.91001').set(bob).set('idempotency-key', 'p1').send({ set: { status: 'paid' } });
    await gw.deps.stores.get('sales')!.knex('orders').where({ id: 91001 }).update({ status: 'pending' });
    const replay = await gw.http().patch('/v1/datasets/sales/orders/rows?id=eq.91001').set(bob).set('idempotency-key', 'p1').send({ set: { status: 'paid' } });
    expect([patch.body, replay.body, replay.headers['idempotent-replayed']]).toEqual([{ updated: 1 }, { updated: 1 }, 'true']);
    expect((await gw.deps.stores.get('sales')!.knex('orders').where({ id: 91001 }))[0].status).toBe('pending');
  });

  it('upserts on a declared unique key, and refuses any other on_conflict with 400', async () => {
    const r = await gw.http().post(`${BIDS}?on_conflict=campaign_id,keyword`).set(sam).send({ rows: [{ id: 50001, campaign_id: 150, keyword: 'kw-50001', bid: 1.6 }] });
    expect([r.status, r.body]).toEqual([200, { inserted: 0, updated: 1, unchanged: 0 }]);
    for (const target of ['keyword', 'bid', 'nope', '']) {
      const bad = await gw.http().post(`${BIDS}?on_conflict=${target}`).set(sam).send({ rows: [bid(50003, 1)] });
      expect([bad.status, bad.body.code]).toEqual([400, 'bad_request']);
    }
    const dup = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: [bid(50003, 1), bid(50003, 2)] });
    expect([dup.status, dup.body.code]).toEqual([400, 'invalid_body']);
    expect(await bids().where({ id: 50003 })).toHaveLength(0);
  });

  it('dry run reports what would change, writes nothing and consumes no quota', async () => {
    const before = await count();
    const used = await writeLog();
    const r = await gw.http().post(`${BIDS}?on_conflict=id&dry_run=true`).set(sam).send({ rows: [bid(50010, 1), bid(50001, 1.7), bid(50002, 2)] });
    expect([r.status, r.body]).toEqual([200, { dryRun: true, inserted: 1, updated: 1, unchanged: 1 }]);
    expect(await count()).toBe(before);
    expect(Number((await bids().where({ id: 50001 }))[0].bid)).toBe(1.6);
    expect(await writeLog()).toBe(used);
    const insertDry = await gw.http().post(`${BIDS}?dry_run=true`).set(sam).send({ rows: [bid(50011, 1)] });
    expect([insertDry.status, insertDry.body]).toEqual([200, { dryRun: true, inserted: 1, updated: 0, unchanged: 0 }]);
    const conflictDry = await gw.http().post(`${BIDS}?dry_run=true`).set(sam).send({ rows: [bid(50001, 1)] });
    expect([conflictDry.status, conflictDry.body.code]).toEqual([409, 'conflict']);
    expect((await gw.http().post(`${BIDS}?dry_run=maybe`).set(sam).send({ rows: [bid(50011, 1)] })).status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('a batch with one row over a value bound is refused whole with 422 naming the guardrail', async () => {
    const before = await count();
    const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: [bid(50020, 1), bid(50021, 2), bid(50022, 60)] });
    expect(r.status).toBe(422);
    expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ code: 'guardrail_violation', guardrail: 'max', column: 'bid', limit: 50 });
    const neg = await gw.http().post(BIDS).set(sam).send({ rows: [bid(50020, 1), bid(50021, -1)] });
    expect(neg.body).toMatchObject({ code: 'guardrail_violation', guardrail: 'min' });
    const badType = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: [bid(50020, 1), bid(50021, 'high')] });
    expect([badType.status, badType.body.code]).toEqual([400, 'invalid_value']);
    expect(await count()).toBe(before);
    expect(await bids().whereIn('id', [50020, 50021, 50022])).toHaveLength(0);
  });

  it('refuses an update that moves a guarded value more than maxChangePct, compared with the stored value', async () => {
    const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: [bid(50030, 1)] });
    expect(r.status).toBe(200);
    const used = await writeLog();
    const jump = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: [bid(50031, 1), { id: 50030, bid: 1.25 }] });
    expect([jump.status, jump.body.guardrail, jump.body.column]).toEqual([422, 'maxChangePct', 'bid']);
    expect(await writeLog()).toBe(used); // refused inside the write transaction: its quota reservation is released
    expect(await bids().where({ id: 50031 })).toHaveLength(0);
    const patch = await gw.http().patch(`${BIDS}?id=eq.50030`).set(sam).send({ set: { bid: 0.5 } });
    expect([patch.status, patch.body.guardrail]).toEqual([422, 'maxChangePct']);
    const bound = await gw.http().patch(`${BIDS}?id=eq.50030`).set(sam).send({ set: { bid: 51 } });
    expect([bound.status, bound.body.guardrail]).toEqual([422, 'max']);
    expect((await gw.http().patch(`${BIDS}?id=eq.50030`).set(sam).send({ set: { bid: 1.2 } })).body).toEqual({ updated: 1 });
    expect(Number((await bids().where({ id: 50030 }))[0].bid)).toBe(1.2);
  });

  it('updates through upsert need the update permission, as PATCH does', async () => {
    const ivy = bearer(gw.token('ivy'));
    const ok = await gw.http().post(`${BIDS}?on_conflict=id`).set(ivy).send({ rows: [bid(50040, 1)] });
    expect([ok.status, ok.body]).toEqual([200, { inserted: 1, updated: 0, unchanged: 0 }]);
    const upd = await gw.http().post(`${BIDS}?on_conflict=id`).set(ivy).send({ rows: [bid(50041, 1), bid(50040, 1.1)] });
    expect([upd.status, upd.body.code]).toEqual([403, 'column_denied']);
    expect(await bids().where({ id: 50041 })).toHaveLength(0);
    expect((await gw.http().patch(`${BIDS}?id=eq.50040`).set(ivy).send({ set: { bid: 1.1 } })).status).toBe(403);
  });

  it('applies the guardrails of the role that grants the write (rows per request)', async () => {
    const jay = bearer(gw.token('jay'));
    const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(jay).send({ rows: [1, 2, 3, 4].map((i) => bid(50050 + i, 1)) });
    expect([r.status, r.body.code, r.body.guardrail, r.body.limit]).toEqual([422, 'guardrail_violation', 'maxRowsPerRequest', 3]);
    expect((await gw.http().post(`${BIDS}?on_conflict=id`).set(jay).send({ rows: [1, 2, 3].map((i) => bid(50050 + i, 1)) })).status).toBe(200);
  });

  it('inserts a batch of 1200 rows in one transaction (plain insert, chunked under the drivers\' limits)', async () => {
    const r = await gw.http().post(BIDS).set(sam).send({ rows: Array.from({ length: 1200 }, (_, i) => bid(70000 + i, 2)) });
    expect([r.status, r.body]).toEqual([201, { inserted: 1200 }]);
    expect(Number((await bids().where('id', '>=', 70000).count({ n: '*' }))[0].n)).toBe(1200);
  });

  it('upserts a batch of 2500 rows (over the bound-parameter limits per statement), then refuses over quota with 429', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => bid(60000 + i, 1 + (i % 40)));
    const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows });
    expect([r.status, r.body]).toEqual([200, { inserted: 2500, updated: 0, unchanged: 0 }]);
    const again = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: rows.map((x) => ({ ...x, bid: (x.bid as number) * 1.1 })) });
    expect([again.status, again.body]).toEqual([200, { inserted: 0, updated: 2500, unchanged: 0 }]);
    expect(Number((await bids().whereBetween('id', [60000, 62499]).count({ n: '*' }))[0].n)).toBe(2500);
    const before = await count();
    const over = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: rows.slice(0, 2000) });
    expect([over.status, over.body.code, over.body.guardrail]).toEqual([429, 'rate_limited', 'quota']);
    expect(over.body).toMatchObject({ limit: 8000, windowSeconds: 3600 });
    expect(over.body.retryAfterSeconds).toBeGreaterThan(0);
    expect(over.body.retryAfterSeconds).toBeLessThanOrEqual(3600);
    expect(over.headers['retry-after']).toBe(String(Math.ceil(over.body.retryAfterSeconds)));
    expect(await count()).toBe(before);
    // The window slides: an hour later the quota is free again.
    (gw.deps.clock as TestClock).advance(3_600_000 + 1000);
    const later = await gw.http().post(`${BIDS}?on_conflict=id`).set(bearer(gw.token('sam'))).send({ rows: rows.slice(0, 10) });
    expect(later.status).toBe(200);
  });

  it('GET /v1/guardrails: admins see every guarded dataset, stewards their domain, others 403', async () => {
    const dana = await gw.http().get('/v1/guardrails').set(bearer(gw.token('dana')));
    expect(dana.status).toBe(200);
    const bidsInfo = dana.body.datasets.find((d: { dataset: string }) => d.dataset === 'bids');
    expect(bidsInfo).toMatchObject({ domain: 'marketing', limits: { maxRowsPerRequest: 5000, quota: { rows: 8000, perSeconds: 3600 }, columns: { bid: { max: 50 } } }, pauses: [] });
    expect(bidsInfo.usage.bySubject.sam).toBeGreaterThan(0);
    expect(dana.body.roles.junior_scientist).toMatchObject({ maxRowsPerRequest: 3 });
    expect((await gw.http().get('/v1/guardrails').set(bearer(gw.token('mia')))).body.datasets).toHaveLength(1);
    expect((await gw.http().get('/v1/guardrails').set(bearer(gw.token('carol')))).body.datasets).toHaveLength(0);
    expect((await gw.http().get('/v1/guardrails').set(sam)).status).toBe(403);
  });
});
