// Fail closed: when the audit store refuses writes (a real trigger that aborts every insert into
// mg_audit), every request is refused with 503 audit_unavailable and no data leaves or changes.
// A write whose data commit fails after its entry was committed gets an entry that voids it.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';
import { entriesFor } from './support/audit-rows';

const ORDERS = '/v1/datasets/sales/orders/rows';
const order = (id: number) => ({ id, customer_id: 7, region: 'EU', amount: 12.5, status: 'pending', created_at: '2026-03-01T10:00:00Z' });

describe.each(BACKENDS)('fail-closed audit on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));

  async function refuseAuditWrites(): Promise<() => Promise<void>> {
    const k = gw.deps.state.knex;
    if (pg) {
      await k.raw("create function mg_test_refuse() returns trigger language plpgsql as $$ begin raise exception 'audit store refuses writes'; end $$");
      await k.raw('create trigger mg_test_refuse before insert on mg_audit for each row execute function mg_test_refuse()');
      return async () => {
        await k.raw('drop trigger mg_test_refuse on mg_audit');
        await k.raw('drop function mg_test_refuse()');
      };
    }
    await k.raw("create trigger mg_test_refuse before insert on mg_audit begin select raise(abort, 'audit store refuses writes'); end");
    return async () => void (await k.raw('drop trigger mg_test_refuse'));
  }

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
  });
  afterAll(() => gw.close());

  it('refuses every request with 503 and no data while the audit store cannot be written', async () => {
    const restore = await refuseAuditWrites();
    const ids: string[] = [];
    try {
      const read = await gw.http().get(`${ORDERS}?limit=5`).set(as('alice'));
      const write = await gw.http().post(ORDERS).set(as('bob')).send({ rows: [order(880001)] });
      const grant = await gw.http().post('/v1/grants').set(as('dana')).send({ subject: 'ivan', role: 'analyst', domain: 'sales', reason: 'r' });
      const auditRead = await gw.http().get('/v1/audit').set(as('erin'));
      const denied = await gw.http().get('/v1/datasets/hr/employees/rows').set(as('alice'));
      const unauthenticated = await gw.http().get('/v1/me');
      for (const r of [read, write, grant, auditRead, denied, unauthenticated]) {
        expect(r.status).toBe(503);
        expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(r.body.code).toBe('audit_unavailable');
        expect(r.body.rows).toBeUndefined();
        expect(r.body.entries).toBeUndefined();
        expect(r.text).not.toMatch(/"region"|"amount"/);
        ids.push(r.headers['x-request-id']);
      }
    } finally {
      await restore();
    }
    expect(await gw.deps.stores.get('sales')!.knex('orders').where({ id: 880001 })).toHaveLength(0);
    expect(await gw.deps.state.knex('mg_grants').where({ subject: 'ivan' })).toHaveLength(0);
    for (const id of ids) expect(await entriesFor(gw, id)).toHaveLength(0);
    // Serving resumes once the audit store takes writes again, and the chain is whole.
    expect((await gw.http().get(`${ORDERS}?limit=5`).set(as('alice'))).status).toBe(200);
    expect((await gw.http().get('/v1/audit/verify').set(as('erin'))).body).toMatchObject({ ok: true, firstBroken: null });
  });

  // A data commit that fails after its audit entry needs a deferred constraint: PostgreSQL only.
  if (pg) {
    it('records a write whose data commit fails after its entry as not having taken effect', async () => {
      const sales = gw.deps.stores.get('sales')!.knex;
      await sales.raw("create function mg_test_refuse_commit() returns trigger language plpgsql as $$ begin if new.id = 880002 then raise exception 'refused at commit'; end if; return new; end $$");
      await sales.raw('create constraint trigger mg_test_refuse_commit after insert on orders deferrable initially deferred for each row execute function mg_test_refuse_commit()');
      try {
        const r = await gw.http().post(ORDERS).set(as('bob')).send({ rows: [order(880002)] });
        expect(r.status).toBe(503);
        expect(await sales('orders').where({ id: 880002 })).toHaveLength(0);
        const [allowed, voided] = await entriesFor(gw, r.headers['x-request-id']);
        expect(allowed).toMatchObject({ action: 'insert', decision: 'allow', status: 201 });
        expect(voided).toMatchObject({ action: 'insert', decision: 'deny', status: 503 });
        expect(JSON.parse(voided.details!)).toEqual({ voids: allowed.id });
      } finally {
        await sales.raw('drop trigger mg_test_refuse_commit on orders');
        await sales.raw('drop function mg_test_refuse_commit()');
      }
    });
  }
});
