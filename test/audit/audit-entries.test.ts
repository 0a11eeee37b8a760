// What each audit entry holds: request id (= X-Request-Id), subject, action, resource, decision and
// reason, status, columns, row count, a value-free fingerprint, client ip, latency, the authorising
// grants and the policy version; refusals and failed authentication with their reason, never the
// token; never a pii value; admin changes with before/after and the admin's reason. Every backend.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';
import { allEntriesText, entriesFor } from './support/audit-rows';

describe.each(BACKENDS)('audit entries on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
  });
  afterAll(() => gw.close());

  it('records an allowed read with every field, keyed by the X-Request-Id it answered with', async () => {
    const me = await gw.http().get('/v1/me').set(as('alice'));
    const aliceGrant = me.body.grants[0].id;
    const r = await gw.http().get('/v1/datasets/sales/customers/rows?region=eq.EU&select=id,email&limit=3').set(as('alice')).set('X-Request-Id', 'trace-42');
    expect(r.status).toBe(200);
    expect(r.headers['x-request-id']).toBe('trace-42');
    const [e] = await entriesFor(gw, 'trace-42');
    const health = await gw.http().get('/healthz');
    expect(e).toMatchObject({
      subject: 'alice',
      action: 'read',
      resource: 'sales.customers',
      decision: 'allow',
      status: 200,
      row_count: 3,
      policy_version: health.body.policyVersion,
    });
    expect(e.reason).toContain(aliceGrant);
    expect(JSON.parse(e.columns!)).toEqual(['id', 'email']);
    expect(JSON.parse(e.grant_ids!)).toEqual([aliceGrant]);
    expect(e.fingerprint).toContain('region=eq.?');
    expect(e.fingerprint).not.toContain('EU');
    expect(e.client_ip).toBeTruthy();
    expect(Number(e.latency_ms)).toBeGreaterThanOrEqual(0);
    expect(e.ts).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records a denied request with the reason it was refused', async () => {
    const r = await gw.http().get('/v1/datasets/hr/employees/rows').set(as('alice'));
    expect(r.status).toBe(403);
    const [e] = await entriesFor(gw, r.headers['x-request-id']);
    expect(e).toMatchObject({ subject: 'alice', resource: 'hr.employees', decision: 'deny', status: 403 });
    expect(e.reason).toMatch(/^forbidden: /);
    const masked = await gw.http().get('/v1/datasets/sales/customers/rows?email=eq.someone@example.com').set(as('alice'));
    expect(masked.body.code).toBe('column_masked');
    const [m] = await entriesFor(gw, masked.headers['x-request-id']);
    expect(m).toMatchObject({ decision: 'deny', status: 403 });
    expect(m.reason).toMatch(/^column_masked: /);
  });

  it('records failed authentication with the reason and no subject, never the token', async () => {
    const forged = gw.token('alice').replace(/\.[^.]+$/, '.c2lnbmF0dXJl');
    const r = await gw.http().get('/v1/me').set(bearer(forged));
    expect(r.status).toBe(401);
    const [e] = await entriesFor(gw, r.headers['x-request-id']);
    expect(e).toMatchObject({ subject: null, action: 'authenticate', decision: 'deny', status: 401 });
    expect(e.reason).toMatch(/^invalid_token: /);
    const none = await gw.http().get('/v1/me');
    expect((await entriesFor(gw, none.headers['x-request-id']))[0].reason).toMatch(/^missing_token: /);
    const text = await allEntriesText(gw);
    expect(text).not.toContain(forged);
    expect(text).not.toContain(forged.split('.')[1]);
    expect(text).not.toContain(gw.secret);
  });

  it('never records the value of a pii column, written or filtered on', async () => {
    const secret = 'very.private.person@example.org';
    const w = await gw.http().post('/v1/datasets/sales/customers/rows').set(as('bob')).send({ rows: [{ id: 90001, name: 'P', email: secret, region: 'EU', segment: 'smb' }] });
    expect(w.status).toBe(201);
    const f = await gw.http().get(`/v1/datasets/sales/customers/rows?email=eq.${secret}`).set(as('alice'));
    expect(f.status).toBe(403);
    const bad = await gw.http().post('/v1/datasets/sales/customers/rows').set(as('bob')).send({ rows: [{ id: 90002, email: { v: secret } }] });
    expect(bad.status).toBe(400);
    expect(await allEntriesText(gw)).not.toContain(secret);
  });

  it('records an admin change with the grant before and after, the reason given and the authorising grant', async () => {
    const dana = await gw.http().get('/v1/me').set(as('dana'));
    const g = await gw.http().post('/v1/grants').set(as('dana')).send({ subject: 'hugo', role: 'analyst', domain: 'marketing', reason: 'campaign review' });
    const d = await gw.http().delete(`/v1/grants/${g.body.id}?reason=review%20done`).set(as('dana'));
    expect(d.status).toBe(204);
    const [created] = await entriesFor(gw, g.headers['x-request-id']);
    const [revoked] = await entriesFor(gw, d.headers['x-request-id']);
    expect(created).toMatchObject({ subject: 'dana', action: 'grant', resource: `grant:${g.body.id}`, decision: 'allow', status: 201, reason: 'campaign review' });
    expect(JSON.parse(created.details!)).toMatchObject({ before: null, after: { id: g.body.id, subject: 'hugo' }, reason: 'campaign review' });
    expect(JSON.parse(created.grant_ids!)).toEqual([dana.body.grants[0].id]);
    expect(revoked).toMatchObject({ action: 'revoke', status: 204, reason: 'review done' });
    expect(JSON.parse(revoked.details!)).toMatchObject({ before: { revokedAt: null }, after: { revokedBy: 'dana' }, reason: 'review done' });
  });

  it('an insert that fails with 409 leaves only a refusal, no entry claiming success', async () => {
    const r = await gw.http().post('/v1/datasets/sales/orders/rows').set(as('bob')).send({ rows: [{ id: 1, customer_id: 1, region: 'EU', amount: 1, status: 'x', created_at: '2026-01-01T00:00:00Z' }] });
    expect(r.status).toBe(409);
    const entries = await entriesFor(gw, r.headers['x-request-id']);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: 'insert', decision: 'deny', status: 409 });
    expect(entries[0].reason).toMatch(/^conflict: /);
  });

  it('commits the entries recorded within one event-loop turn together (group commit)', async () => {
    const before = { ...gw.deps.audit.stats };
    const ts = new Date();
    const ids = await Promise.all(
      Array.from({ length: 300 }, (_, i) => gw.deps.audit.record({ ts, requestId: `burst-${i}`, subject: 'load', action: 'test', resource: null, decision: 'allow', reason: null, status: 200 })),
    );
    expect(gw.deps.audit.stats.commits - before.commits).toBe(1);
    expect(gw.deps.audit.stats.entries - before.entries).toBe(300);
    expect(new Set(ids).size).toBe(300);
    expect(ids.slice(1).every((id, i) => id === ids[i] + 1)).toBe(true);
  });
});
