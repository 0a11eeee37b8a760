// lastUsedAt is recorded without a write per request: usage is kept in memory and written in one
// batch after MESHGUARD_USAGE_FLUSH_MS, and at close; it never bumps the grants version.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const lastUsed = async (gw: TestGateway, subject: string) =>
  (await gw.deps.state.knex('mg_grants').where({ subject }).first('last_used_at', 'last_write_at')) as { last_used_at: unknown; last_write_at: unknown };

describe.each(BACKENDS)('grant usage on $name', ({ pg }) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_USAGE_FLUSH_MS: '2000' } });
  });
  afterAll(() => gw.close());

  it('writes lastUsedAt in a batch after the flush interval, and lastWriteAt only for writes', async () => {
    const version = (await gw.deps.state.knex('mg_counters').where({ name: 'grants_version' }).first('value')).value;
    const t = bearer(gw.token('alice'));
    for (let i = 0; i < 5; i++) expect((await gw.http().get('/v1/datasets/sales/orders/rows?limit=1').set(t)).status).toBe(200);
    expect((await lastUsed(gw, 'alice')).last_used_at).toBeNull();
    await new Promise((r) => setTimeout(r, 3000));
    const after = await lastUsed(gw, 'alice');
    expect(Number(after.last_used_at)).toBeGreaterThan(Date.now() - 10_000);
    expect(after.last_write_at).toBeNull();
    expect((await gw.deps.state.knex('mg_counters').where({ name: 'grants_version' }).first('value')).value).toEqual(version);

    const b = bearer(gw.token('bob'));
    expect((await gw.http().patch('/v1/datasets/sales/orders/rows?id=eq.1').set(b).send({ set: { status: 'paid' } })).status).toBe(200);
    await gw.deps.usage.flush();
    expect(Number((await lastUsed(gw, 'bob')).last_write_at)).toBeGreaterThan(Date.now() - 10_000);
  });
});
