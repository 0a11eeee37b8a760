// Least privilege over time, through the real HTTP API on every backend: renewals within the role's
// bound, separation of duties, token revocation (jti, issuedBefore), suspension, access reviews.
import jwt from 'jsonwebtoken';
import { BACKENDS, bearer, startTestGateway, TestClock, type TestGateway } from '../helpers/test-gateway';

const DAY = 86_400_000;
const ROWS = '/v1/datasets/sales/orders/rows?limit=1';

describe.each(BACKENDS)('least privilege on $name', ({ pg }) => {
  let gw: TestGateway;
  const clock = new TestClock();
  const as = (s: string) => bearer(gw.token(s));
  const grant = (who: string, body: Record<string, unknown>) => gw.http().post('/v1/grants').set(as(who)).send({ reason: 'test', ...body });
  const renew = (who: string, id: string, body: Record<string, unknown> = {}) => gw.http().post(`/v1/grants/${id}/renew`).set(as(who)).send({ reason: 'still needed', ...body });
  const auditOf = (resource: string) => gw.deps.state.knex('mg_audit').where({ resource }).orderBy('id');

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root', MESHGUARD_USAGE_FLUSH_MS: '60000' } });
  });
  afterAll(() => gw.close());

  describe('time-bound grants', () => {
    it('renew extends within the role bound, audits old and new expiry, and revives an expired grant at once', async () => {
      const g = await grant('dana', { subject: 'rita', role: 'analyst', domain: 'sales', expiresAt: new Date(clock.now().getTime() + 1000).toISOString() });
      expect(g.status).toBe(201);
      const t = bearer(gw.token('rita', { exp: Math.floor(clock.now().getTime() / 1000) + 7200 }));
      clock.advance(1000);
      expect((await gw.http().get(ROWS).set(t)).status).toBe(403);
      const over = await renew('dana', g.body.id, { expiresAt: new Date(clock.now().getTime() + 91 * DAY).toISOString() });
      expect([over.status, over.body.code]).toEqual([400, 'invalid_grant']);
      const r = await renew('dana', g.body.id);
      expect(r.status).toBe(200);
      expect(Date.parse(r.body.expiresAt) - clock.now().getTime()).toBe(90 * DAY);
      expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
      const audit = (await auditOf(`grant:${g.body.id}`)).filter((a: { decision: string }) => a.decision === 'allow');
      expect(audit.map((a: { action: string }) => a.action)).toEqual(['grant', 'renew']);
      const d = JSON.parse(audit[1].details);
      expect(d.oldExpiresAt).toBe(g.body.expiresAt);
      expect(d.newExpiresAt).toBe(r.body.expiresAt);
      expect(d.reason).toBe('still needed');
    });

    it('nobody renews their own grant; a steward renews only analysts/scientists of its own domain', async () => {
      const dana = (await gw.http().get('/v1/grants?subject=dana').set(as('root'))).body.grants[0];
      const self = await renew('dana', dana.id);
      expect([self.status, self.body.code]).toEqual([403, 'self_grant']);
      const alice = (await gw.http().get('/v1/grants?subject=alice').set(as('dana'))).body.grants[0];
      const out = await renew('carol', alice.id);
      expect([out.status, out.body.code]).toEqual([403, 'forbidden']);
      const hr = await grant('carol', { subject: 'hank', role: 'scientist', domain: 'hr' });
      expect((await renew('carol', hr.body.id)).status).toBe(200);
      expect((await grant('carol', { subject: 'hank', role: 'steward', domain: 'hr' })).status).toBe(403);
      expect((await renew('dana', '00000000-0000-0000-0000-000000000000')).status).toBe(404);
      expect((await renew('dana', alice.id, { reason: '' })).body.code).toBe('reason_required');
    });
  });

  describe('token revocation', () => {
    it('by jti: that token gets 401 token_revoked at once, another token of the subject still works', async () => {
      const jti = 'lost-token-1';
      const t = bearer(gw.token('alice', { jti }));
      expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
      const r = await gw.http().post('/v1/revocations').set(as('dana')).send({ jti, reason: 'leaked in a log' });
      expect(r.status).toBe(201);
      const refused = await gw.http().get(ROWS).set(t);
      expect([refused.status, refused.body.code]).toEqual([401, 'token_revoked']);
      expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((await gw.http().get(ROWS).set(as('alice'))).status).toBe(200);
      const list = await gw.http().get('/v1/revocations').set(as('dana'));
      expect(list.body.revocations.some((x: { jti: string }) => x.jti === jti)).toBe(true);
    });

    it('by subject and issuedBefore: older tokens refused, tokens issued afterwards work', async () => {
      const old = bearer(gw.token('bob'));
      clock.advance(2000);
      const r = await gw.http().post('/v1/revocations').set(as('dana')).send({ subject: 'bob', issuedBefore: new Date(clock.now().getTime() - 1000).toISOString(), reason: 'lost laptop' });
      expect(r.status).toBe(201);
      expect((await gw.http().get(ROWS).set(old)).body.code).toBe('token_revoked');
      expect((await gw.http().get(ROWS).set(as('bob'))).status).toBe(200);
      const audit = await auditOf(`revocation:${r.body.id}`);
      expect(JSON.parse(audit[0].details).reason).toBe('lost laptop');
    });

    it('validates the body, refuses non-admins, and refuses tokens without iat or living too long', async () => {
      expect((await gw.http().post('/v1/revocations').set(as('dana')).send({ jti: 'a' })).body.code).toBe('reason_required');
      for (const body of [{ reason: 'x' }, { jti: 'a', subject: 'b', reason: 'x' }, { subject: 'b', issuedBefore: 'yesterday', reason: 'x' }, { subject: 'b', issuedBefore: new Date(clock.now().getTime() + 3_600_000).toISOString(), reason: 'x' }]) {
        const r = await gw.http().post('/v1/revocations').set(as('dana')).send(body);
        expect({ body, status: r.status, code: r.body.code }).toEqual({ body, status: 400, code: 'invalid_body' });
      }
      for (const who of ['carol', 'alice', 'erin']) expect((await gw.http().post('/v1/revocations').set(as(who)).send({ jti: 'x', reason: 'x' })).status).toBe(403);
      expect((await gw.http().get('/v1/revocations').set(as('carol'))).status).toBe(403);
      const now = Math.floor(clock.now().getTime() / 1000);
      const noIat = jwt.sign({ sub: 'alice', exp: now + 60, iss: 'meshguard-tests', aud: 'meshguard' }, gw.secret, { algorithm: 'HS256', noTimestamp: true });
      expect((await gw.http().get(ROWS).set(bearer(noIat))).body.code).toBe('invalid_token');
      expect((await gw.http().get(ROWS).set(bearer(gw.token('alice', { exp: now + 2 * 86400 })))).body.code).toBe('invalid_token');
    });

    it('prunes a revocation once every token it names has expired', async () => {
      const r = await gw.http().post('/v1/revocations').set(as('dana')).send({ jti: 'short-lived', reason: 'prune test' });
      clock.advance(86_400_000 + 31_000 + 1);
      await gw.http().post('/v1/revocations').set(as('dana')).send({ jti: 'another', reason: 'triggers pruning' }).expect(201);
      expect(await gw.deps.state.knex('mg_revocations').where({ id: r.body.id }).first()).toBeUndefined();
      expect((await gw.http().get('/v1/revocations').set(as('dana'))).body.revocations.map((x: { jti: string }) => x.jti)).toEqual(['another']);
    });
  });

  describe('suspension', () => {
    it('suspend stops a subject at once with 401 subject_suspended; resume restores its grants untouched', async () => {
      const t = as('alice');
      const s = await gw.http().post('/v1/subjects/alice/suspend').set(as('dana')).send({ reason: 'incident 42' });
      expect(s.status).toBe(200);
      const refused = await gw.http().get(ROWS).set(t);
      expect([refused.status, refused.body.code]).toEqual([401, 'subject_suspended']);
      expect((await gw.http().post('/v1/subjects/alice/suspend').set(as('dana')).send({ reason: 'again' })).body.code).toBe('already_suspended');
      const grants = await gw.http().get('/v1/grants?subject=alice').set(as('dana'));
      expect(grants.body.grants).toHaveLength(1);
      expect((await gw.http().post('/v1/subjects/alice/resume').set(as('dana')).send({ reason: 'all clear' })).status).toBe(200);
      expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
      expect((await gw.http().post('/v1/subjects/alice/resume').set(as('dana')).send({ reason: 'x' })).body.code).toBe('not_suspended');
      expect((await gw.http().post('/v1/subjects/bob/suspend').set(as('carol')).send({ reason: 'x' })).status).toBe(403);
      expect((await gw.http().post('/v1/subjects/dana/suspend').set(as('dana')).send({ reason: 'x' })).body.code).toBe('self_grant');
      expect((await gw.http().post('/v1/subjects/bob/suspend').set(as('dana')).send({})).body.code).toBe('reason_required');
      expect((await gw.http().post('/v1/subjects/%E0%A4%A/suspend').set(as('dana')).send({ reason: 'x' })).body.code).toBe('bad_request');
      expect((await gw.http().delete('/v1/grants/%E0%A4%A').set(as('dana'))).status).toBe(400);
      const twice = await Promise.all([1, 2].map((n) => gw.http().post('/v1/subjects/zoe/suspend').set(as('dana')).send({ reason: `race ${n}` })));
      expect(twice.map((r) => r.status).sort()).toEqual([200, 409]);
      expect((await gw.http().post('/v1/subjects/zoe/resume').set(as('dana')).send({ reason: 'x' })).status).toBe(200);
      const audit = await auditOf('subject:alice');
      expect(audit.filter((a: { decision: string }) => a.decision === 'allow').map((a: { action: string }) => a.action)).toEqual(['suspend', 'resume']);
    });
  });

  describe('access reviews', () => {
    it('lists an unused grant, and apply revokes it in one audited step', async () => {
      const idle = await grant('dana', { subject: 'ula', role: 'analyst', domain: 'marketing' });
      const busy = await grant('dana', { subject: 'vic', role: 'scientist', domain: 'marketing' });
      clock.advance(8 * DAY); // admin grants last 30 days at most: stay well inside them
      const vic = bearer(gw.token('vic'));
      expect((await gw.http().get('/v1/datasets/marketing/campaigns/rows?limit=1').set(vic)).status).toBe(200);
      const review = await gw.http().get('/v1/reviews/grants?unusedFor=7d').set(as('root'));
      expect(review.status).toBe(200);
      const find = (id: string) => review.body.grants.find((i: { grant: { id: string } }) => i.grant.id === id);
      expect(find(idle.body.id).findings).toContain('unused');
      expect(find(busy.body.id).findings).toEqual(expect.arrayContaining(['broader_than_use']));
      expect(find(busy.body.id).findings).not.toContain('unused');
      expect(find(busy.body.id).grant.lastUsedAt).toBe(clock.now().toISOString());

      const steward = await gw.http().get('/v1/reviews/grants?unusedFor=7d').set(as('carol'));
      expect(steward.body.grants.every((i: { grant: { domain: string } }) => i.grant.domain === 'hr')).toBe(true);
      expect((await gw.http().get('/v1/reviews/grants').set(as('alice'))).status).toBe(403);
      expect((await gw.http().get('/v1/reviews/grants?unusedFor=soon').set(as('root'))).body.code).toBe('bad_request');

      // All or nothing: one unknown id and nothing is revoked.
      const bad = await gw.http().post('/v1/reviews/grants/apply').set(as('root')).send({ grantIds: [idle.body.id, 'nope'], reason: 'review' });
      expect([bad.status, bad.body.code]).toEqual([404, 'grant_not_found']);
      expect((await gw.deps.grants.get(idle.body.id))!.revokedAt).toBeNull();

      const applied = await gw.http().post('/v1/reviews/grants/apply').set(as('root')).send({ grantIds: [idle.body.id, busy.body.id], reason: 'Q4 access review' });
      expect(applied.status).toBe(200);
      expect(applied.body.revoked.map((g: { id: string }) => g.id)).toEqual([idle.body.id, busy.body.id]);
      expect((await gw.http().get('/v1/datasets/marketing/campaigns/rows?limit=1').set(vic)).status).toBe(403);
      const entry = await gw.deps.state.knex('mg_audit').where({ action: 'review_apply', decision: 'allow' }).first();
      expect(JSON.parse(entry.details)).toMatchObject({ grantIds: [idle.body.id, busy.body.id], reason: 'Q4 access review' });
      // The entry names the grant that allowed the revocations: root's admin grant.
      const rootAdmin = (await gw.deps.grants.list({ subject: 'root' })).find((g) => g.role === 'admin')!;
      expect(JSON.parse(entry.grant_ids)).toEqual([rootAdmin.id]);
    });

    it('a steward cannot apply a review to grants outside its domain', async () => {
      const g = await grant('dana', { subject: 'wes', role: 'analyst', domain: 'sales' });
      const r = await gw.http().post('/v1/reviews/grants/apply').set(as('carol')).send({ grantIds: [g.body.id], reason: 'x' });
      expect(r.status).toBe(403);
    });
  });

  describe('separation of duties under concurrency', () => {
    it('two admins revoking each other at the same time: exactly one succeeds, one admin remains', async () => {
      const admins = (await gw.http().get('/v1/grants').set(as('root'))).body.grants.filter((g: { role: string }) => g.role === 'admin');
      expect(admins.map((g: { subject: string }) => g.subject).sort()).toEqual(['dana', 'root']);
      const of = (s: string) => admins.find((g: { subject: string }) => g.subject === s).id;
      const [a, b] = await Promise.all([
        gw.http().delete(`/v1/grants/${of('dana')}?reason=race`).set(as('root')),
        gw.http().delete(`/v1/grants/${of('root')}?reason=race`).set(as('dana')),
      ]);
      expect([a.status, b.status].sort()).toEqual([204, 403]);
      // The loser is refused either by the last-admin rule or, if the winner committed first, because it
      // no longer holds an admin grant itself.
      expect(['last_admin', 'forbidden']).toContain((a.status === 403 ? a : b).body.code);
      const left = (await gw.deps.grants.list({})).filter((g) => g.role === 'admin');
      expect(left).toHaveLength(1);
    });

    it('a suspended admin does not count: the last working admin cannot revoke their own grant', async () => {
      const other = await startTestGateway({ pg, clock, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' } });
      try {
        const asOther = (s: string) => bearer(other.token(s));
        expect((await other.http().post('/v1/subjects/root/suspend').set(asOther('dana')).send({ reason: 'incident' })).status).toBe(200);
        const danas = (await other.http().get('/v1/grants?subject=dana').set(asOther('dana'))).body.grants;
        const own = danas.find((g: { role: string }) => g.role === 'admin');
        const r = await other.http().delete(`/v1/grants/${own.id}?reason=leaving`).set(asOther('dana'));
        expect([r.status, r.body.code]).toEqual([403, 'last_admin']);
        expect((await other.http().post('/v1/subjects/root/resume').set(asOther('dana')).send({ reason: 'cleared' })).status).toBe(200);
        expect((await other.http().delete(`/v1/grants/${own.id}?reason=leaving`).set(asOther('dana'))).status).toBe(204);
      } finally {
        await other.close();
      }
    });
  });
});
