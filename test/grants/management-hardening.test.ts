// Issue 10 on the management surface, through the real HTTP app on every backend: prototype names as
// roles, domains, datasets and columns (finding 8); what a steward's explain may tell of a suspension
// (11); a revocation needs a reason like every other change (14); path ids and subjects of any length
// are bounded before they reach the store or the audit log (20); one standard refusal (by construction).
import type { Test } from 'supertest';
import { BACKENDS, bearer, startTestGateway, TestClock, type TestGateway } from '../helpers/test-gateway';

const PROTO_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
const ROWS = '/v1/datasets/hr/employees/rows?limit=1';
const LONG = 'a'.repeat(5000);

describe.each(BACKENDS)('management hardening on $name', ({ pg }) => {
  let gw: TestGateway;
  const clock = new TestClock();
  const as = (s: string) => bearer(gw.token(s));
  const grant = (who: string, body: Record<string, unknown>) => gw.http().post('/v1/grants').set(as(who)).send({ reason: 'test', ...body });
  const entryOf = async (requestId: string) => gw.deps.state.knex('mg_audit').where({ request_id: requestId }).first();

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' } });
  });
  afterAll(() => gw.close());

  describe('finding 8: names are looked up as own keys only', () => {
    it('constructor, __proto__, toString, hasOwnProperty, valueOf as a role or a domain are 400 invalid_grant; nothing is stored; the subject is unaffected', async () => {
      for (const name of PROTO_NAMES) {
        for (const body of [{ role: name, expiresAt: '9999-12-31T00:00:00Z' }, { role: name }, { role: name, domain: 'hr' }, { role: 'analyst', domain: name }, { role: 'admin', domain: name }]) {
          const r = await grant('dana', { subject: 'proto_kid', ...body });
          expect({ body, status: r.status, code: r.body.code }).toEqual({ body, status: 400, code: 'invalid_grant' });
        }
      }
      expect(await gw.deps.grants.list({ subject: 'proto_kid', includeRevoked: true })).toEqual([]);
      const me = await gw.http().get('/v1/me').set(as('proto_kid'));
      expect([me.status, me.body.grants]).toEqual([200, []]);
      expect((await gw.http().get(ROWS).set(as('proto_kid'))).status).toBe(403);
      // A real grant still works for that subject afterwards.
      expect((await grant('dana', { subject: 'proto_kid', role: 'analyst', domain: 'hr' })).status).toBe(201);
      expect((await gw.http().get(ROWS).set(as('proto_kid'))).status).toBe(200);
    });

    it('the same names as explain domain, dataset or column are 404 dataset_not_found / 400 unknown_column', async () => {
      for (const name of PROTO_NAMES) {
        const q = (p: Record<string, string>) => gw.http().get(`/v1/explain?${new URLSearchParams({ subject: 'alice', action: 'read', domain: 'hr', dataset: 'employees', ...p })}`).set(as('dana'));
        for (const p of [{ dataset: name }, { domain: name }, { domain: name, dataset: name }] as Record<string, string>[]) {
          const r = await q(p);
          expect({ p, status: r.status, code: r.body.code }).toEqual({ p, status: 404, code: 'dataset_not_found' });
        }
        const col = await q({ columns: `name,${name}` });
        expect([col.status, col.body.code, col.body.column]).toEqual([400, 'unknown_column', name]);
      }
    });
  });

  describe('finding 11: a steward learns of a suspension only what concerns its domain', () => {
    const explain = (who: string, subject: string) => gw.http().get(`/v1/explain?subject=${subject}&action=read&domain=hr&dataset=employees`).set(as(who));

    it('no word of it for a subject without access to the domain; "refused", no reason nor author, for one with access; everything for an admin', async () => {
      expect((await grant('dana', { subject: 'sus_sales', role: 'analyst', domain: 'sales' })).status).toBe(201);
      expect((await grant('dana', { subject: 'sus_hr', role: 'analyst', domain: 'hr' })).status).toBe(201);
      const since: string[] = [];
      for (const s of ['sus_sales', 'sus_hr']) {
        const r = await gw.http().post(`/v1/subjects/${s}/suspend`).set(as('dana')).send({ reason: 'secret incident 7' });
        expect(r.status).toBe(200);
        since.push(r.body.since);
      }
      clock.advance(1000);
      const leaks = (body: unknown) => ['secret incident', 'dana', ...since].filter((s) => JSON.stringify(body).includes(s));

      const other = await explain('carol', 'sus_sales');
      expect(other.status).toBe(200);
      expect(other.body).toMatchObject({ decision: 'deny', code: 'forbidden' });
      expect(JSON.stringify(other.body)).not.toMatch(/suspend/);
      expect(leaks(other.body)).toEqual([]);

      const own = await explain('carol', 'sus_hr');
      expect(own.body).toMatchObject({ decision: 'deny', code: 'subject_suspended' });
      expect(own.body.suspension).toBeUndefined();
      expect(leaks(own.body)).toEqual([]);

      const admin = await explain('dana', 'sus_sales');
      expect(admin.body).toMatchObject({ decision: 'deny', code: 'subject_suspended', suspension: { since: since[0], reason: 'secret incident 7', createdBy: 'dana' } });
      expect(admin.body.detail).toContain('secret incident 7');
      for (const s of ['sus_sales', 'sus_hr']) await gw.http().post(`/v1/subjects/${s}/resume`).set(as('dana')).send({ reason: 'cleared' }).expect(200);
    });
  });

  describe('finding 14: revoking needs a reason', () => {
    it('DELETE /v1/grants/:id without a reason, or a blank one, is 400 reason_required and revokes nothing', async () => {
      const g = await grant('dana', { subject: 'rex', role: 'analyst', domain: 'hr' });
      for (const q of ['', '?reason=', '?reason=%20%20']) {
        const r = await gw.http().delete(`/v1/grants/${g.body.id}${q}`).set(as('dana'));
        expect({ q, status: r.status, code: r.body.code }).toEqual({ q, status: 400, code: 'reason_required' });
      }
      expect((await gw.deps.grants.get(g.body.id))!.revokedAt).toBeNull();
      expect((await gw.http().get(ROWS).set(as('rex'))).status).toBe(200);
      const apply = await gw.http().post('/v1/reviews/grants/apply').set(as('dana')).send({ grantIds: [g.body.id] });
      expect([apply.status, apply.body.code]).toEqual([400, 'reason_required']);
      expect((await gw.http().delete(`/v1/grants/${g.body.id}?reason=left%20the%20team`).set(as('dana'))).status).toBe(204);
      expect((await gw.deps.grants.get(g.body.id))!.revokeReason).toBe('left the team');
    });
  });

  describe('finding 20 (grant ids, subjects): bounded before the store and the audit log', () => {
    it('a 5000-character grant id, pause id or subject is a 404/400 with a fixed text, audited with a bounded resource', async () => {
      const cases = [
        { req: gw.http().delete(`/v1/grants/${LONG}?reason=x`), status: 404, code: 'grant_not_found' },
        { req: gw.http().post(`/v1/grants/${LONG}/renew`).send({ reason: 'x' }), status: 404, code: 'grant_not_found' },
        { req: gw.http().post('/v1/reviews/grants/apply').send({ grantIds: ['b'.repeat(64)], reason: 'x' }), status: 404, code: 'grant_not_found' },
        { req: gw.http().post(`/v1/subjects/${LONG}/suspend`).send({ reason: 'x' }), status: 400, code: 'bad_request' },
        { req: gw.http().post(`/v1/subjects/${LONG}/resume`).send({ reason: 'x' }), status: 400, code: 'bad_request' },
        { req: gw.http().post(`/v1/guardrails/pauses/${LONG}/resume`).send({ reason: 'x' }), status: 404, code: 'pause_not_found' },
      ];
      for (const { req, status, code } of cases) {
        const r = await req.set(as('dana'));
        expect([r.status, r.body.code]).toEqual([status, code]);
        expect(r.body.detail.length).toBeLessThan(100);
        expect(r.body.detail).not.toContain('aaaa');
        const entry = await entryOf(r.headers['x-request-id']);
        expect(entry).toMatchObject({ decision: 'deny', status });
        expect(String(entry.resource ?? '').length).toBeLessThanOrEqual(255);
      }
      // A plausible id is echoed.
      const uuid = '00000000-0000-4000-8000-000000000000';
      const r = await gw.http().delete(`/v1/grants/${uuid}?reason=x`).set(as('dana'));
      expect([r.status, r.body.detail]).toEqual([404, `no active grant ${uuid}`]);
      expect((await entryOf(r.headers['x-request-id'])).resource).toBe(`grant:${uuid}`);
    });

    it('a malformed grant id is no different from an unknown one to a caller who may not revoke: 403', async () => {
      for (const id of [LONG, '00000000-0000-4000-8000-000000000000']) {
        const r = await gw.http().delete(`/v1/grants/${id}?reason=x`).set(as('alice'));
        expect([r.status, r.body.code]).toEqual([403, 'forbidden']);
      }
    });
  });

  describe('one standard refusal', () => {
    it('every management refusal is 403 forbidden with the missing permission, and is audited', async () => {
      const g = (await gw.http().get('/v1/grants?subject=alice').set(as('dana'))).body.grants[0];
      const refusals: [request: () => Test, missing: string][] = [
        [() => gw.http().post('/v1/grants').send({ subject: 'z', role: 'analyst', domain: 'sales', reason: 'x' }), 'grant analyst on sales'],
        [() => gw.http().get('/v1/grants'), 'list_grants'],
        [() => gw.http().delete(`/v1/grants/${g.id}?reason=x`), 'revoke analyst on sales'],
        [() => gw.http().post(`/v1/grants/${g.id}/renew`).send({ reason: 'x' }), 'grant analyst on sales'],
        [() => gw.http().post('/v1/subjects/bob/suspend').send({ reason: 'x' }), 'revoke every role on every domain (admin)'],
        [() => gw.http().post('/v1/revocations').send({ jti: 'j', reason: 'x' }), 'revoke every role on every domain (admin)'],
        [() => gw.http().get('/v1/revocations'), 'revoke every role on every domain (admin)'],
        [() => gw.http().get('/v1/reviews/grants'), 'revoke'],
        [() => gw.http().post('/v1/reviews/grants/apply').send({ grantIds: [g.id], reason: 'x' }), 'revoke'],
        [() => gw.http().get('/v1/explain?subject=bob&action=read&domain=sales&dataset=orders'), "revoke grants on sales (admin, or the domain's steward)"],
        [() => gw.http().get('/v1/audit'), 'read_audit'],
        [() => gw.http().get('/v1/guardrails'), 'view_guardrails'],
      ];
      for (const [request, missing] of refusals) {
        const r = await request().set(as('alice'));
        expect({ missing, status: r.status, code: r.body.code, got: r.body.missing }).toEqual({ missing, status: 403, code: 'forbidden', got: missing });
        expect(r.body.detail).toMatch(/^you may not /);
        expect(await entryOf(r.headers['x-request-id'])).toMatchObject({ decision: 'deny', status: 403, subject: 'alice' });
      }
    });
  });
});
