// The grants API: who may grant what, validation, immediate effect of grants and revocations,
// and every change committed with its audit entry. On every backend.
import { BACKENDS, bearer, startTestGateway, TestClock, type TestGateway } from '../helpers/test-gateway';

describe.each(BACKENDS)('grants on $name', ({ pg }) => {
  let gw: TestGateway;
  const clock = new TestClock();
  const as = (s: string) => bearer(gw.token(s));
  const grant = (who: string, body: Record<string, unknown>) => gw.http().post('/v1/grants').set(as(who)).send({ reason: 'test', ...body });

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' } });
  });
  afterAll(() => gw.close());

  it('an admin grants, the grant works at once, a revocation stops it on the very next request', async () => {
    const g = await grant('dana', { subject: 'gina', role: 'analyst', domain: 'sales', reason: 'Q3 report' });
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ subject: 'gina', role: 'analyst', domain: 'sales', reason: 'Q3 report', createdBy: 'dana' });
    expect(g.body.id).toEqual(expect.any(String));
    const t = as('gina');
    expect((await gw.http().get('/v1/datasets/sales/orders/rows?limit=1').set(t)).status).toBe(200);
    expect((await gw.http().delete(`/v1/grants/${g.body.id}?reason=done`).set(as('dana'))).status).toBe(204);
    expect((await gw.http().get('/v1/datasets/sales/orders/rows?limit=1').set(t)).status).toBe(403);
    const audit = await gw.deps.state.knex('mg_audit').where({ resource: `grant:${g.body.id}` }).orderBy('id');
    expect(audit.map((a: { action: string }) => a.action)).toEqual(['grant', 'revoke']);
    const details = JSON.parse(audit[1].details);
    expect(details.before.revokedAt).toBeNull();
    expect(details.after.revokedBy).toBe('dana');
    expect(details.reason).toBe('done');
  });

  it('the bootstrap admin holds an admin grant', async () => {
    const me = await gw.http().get('/v1/me').set(as('root'));
    expect(me.body.grants.map((g: { role: string }) => g.role)).toEqual(['admin']);
  });

  it('validates: reason required, known role and domain, global roles on "*", expiry bounded by the role', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ subject: 'x', role: 'analyst', domain: 'sales', reason: '' }, 'reason_required'],
      [{ subject: 'x', role: 'analyst', domain: 'sales', reason: undefined }, 'reason_required'],
      [{ subject: 'x', role: 'analyst', domain: 'sales', reason: '   ' }, 'reason_required'],
      [{ subject: 'x', role: 'analyst', domain: 'sales', reason: 42 }, 'invalid_body'],
      [{ subject: 'x', role: 'wizard', domain: 'sales' }, 'invalid_grant'],
      [{ subject: 'x', role: 'analyst', domain: 'nowhere' }, 'invalid_grant'],
      [{ subject: 'x', role: 'analyst' }, 'invalid_grant'],
      [{ subject: 'x', role: 'auditor', domain: 'sales' }, 'invalid_grant'],
      [{ subject: 'x', role: 'analyst', domain: 'sales', expiresAt: 'tomorrow' }, 'invalid_body'],
      [{ subject: 'x', role: 'analyst', domain: 'sales', expiresAt: new Date(clock.now().getTime() - 1000).toISOString() }, 'invalid_grant'],
      [{ subject: 'x', role: 'analyst', domain: 'sales', expiresAt: new Date(clock.now().getTime() + 91 * 86_400_000).toISOString() }, 'invalid_grant'],
      [{ subject: 'x', role: 'analyst', domain: 'sales', admin: true }, 'invalid_body'],
    ];
    for (const [body, code] of cases) {
      const r = await gw.http().post('/v1/grants').set(as('dana')).send({ reason: 'test', ...body });
      expect({ body, status: r.status, code: r.body.code }).toEqual({ body, status: 400, code });
    }
  });

  it('defaults expiry to the role maximum and stops the grant at that instant', async () => {
    const g = await grant('dana', { subject: 'ivy', role: 'analyst', domain: 'sales' });
    expect(Date.parse(g.body.expiresAt) - clock.now().getTime()).toBe(90 * 86_400_000);
    const short = await grant('dana', { subject: 'jon', role: 'analyst', domain: 'sales', expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
    expect(short.status).toBe(201);
    const t = gw.token('jon', { exp: Math.floor(clock.now().getTime() / 1000) + 7200 });
    expect((await gw.http().get('/v1/datasets/sales/orders/rows?limit=1').set(bearer(t))).status).toBe(200);
    clock.advance(59_999);
    expect((await gw.http().get('/v1/datasets/sales/orders/rows?limit=1').set(bearer(t))).status).toBe(200);
    clock.advance(1);
    expect((await gw.http().get('/v1/datasets/sales/orders/rows?limit=1').set(bearer(t))).status).toBe(403);
  });

  it('a steward grants analysts in its own domain only, and never admin', async () => {
    expect((await grant('carol', { subject: 'kim', role: 'analyst', domain: 'hr' })).status).toBe(201);
    expect((await grant('carol', { subject: 'kim', role: 'analyst', domain: 'sales' })).status).toBe(403);
    expect((await grant('carol', { subject: 'kim', role: 'steward', domain: 'hr' })).status).toBe(403);
    expect((await grant('carol', { subject: 'kim', role: 'admin', domain: '*' })).status).toBe(403);
  });

  it('analysts, scientists and auditors cannot grant; nobody grants to themselves', async () => {
    for (const who of ['alice', 'bob', 'erin']) expect((await grant(who, { subject: 'z', role: 'analyst', domain: 'sales' })).status).toBe(403);
    const self = await grant('dana', { subject: 'dana', role: 'analyst', domain: 'sales' });
    expect([self.status, self.body.code]).toEqual([403, 'self_grant']);
  });

  it('lists grants by subject and domain for admins, the own domain for stewards, and refuses analysts', async () => {
    const all = await gw.http().get('/v1/grants?domain=sales').set(as('dana'));
    expect(all.status).toBe(200);
    expect(all.body.grants.length).toBeGreaterThan(0);
    expect(all.body.grants.every((g: { domain: string }) => g.domain === 'sales')).toBe(true);
    const bob = await gw.http().get('/v1/grants?subject=bob').set(as('dana'));
    expect(bob.body.grants.map((g: { subject: string; role: string }) => [g.subject, g.role])).toEqual([['bob', 'scientist']]);
    const steward = await gw.http().get('/v1/grants').set(as('carol'));
    expect(steward.body.grants.every((g: { domain: string }) => g.domain === 'hr')).toBe(true);
    expect((await gw.http().get('/v1/grants').set(as('alice'))).status).toBe(403);
    expect((await gw.http().get('/v1/grants?colour=red').set(as('dana'))).body.code).toBe('unknown_parameter');
  });

  it('revoking: 404 for an unknown grant, 403 out of scope, and never the last admin', async () => {
    expect((await gw.http().delete('/v1/grants/00000000-0000-0000-0000-000000000000?reason=cleanup').set(as('dana'))).status).toBe(404);
    const salesAnalyst = (await gw.http().get('/v1/grants?subject=alice').set(as('dana'))).body.grants[0];
    expect((await gw.http().delete(`/v1/grants/${salesAnalyst.id}?reason=cleanup`).set(as('carol'))).status).toBe(403);
    const admins = (await gw.http().get('/v1/grants').set(as('dana'))).body.grants.filter((g: { role: string }) => g.role === 'admin');
    expect(admins).toHaveLength(2);
    const root = admins.find((g: { subject: string }) => g.subject === 'root');
    const dana = admins.find((g: { subject: string }) => g.subject === 'dana');
    expect((await gw.http().delete(`/v1/grants/${root.id}?reason=leaving`).set(as('dana'))).status).toBe(204);
    const last = await gw.http().delete(`/v1/grants/${dana.id}?reason=leaving`).set(as('dana'));
    expect([last.status, last.body.code]).toEqual([403, 'last_admin']);
  });
});
