// /v1/shares (issue 15): who may create shares of which domain (admin anywhere, a steward in their
// own domain, nobody else), confidential columns never shareable, pii columns cleared only by the
// domain's steward, recipients' profiles shown once (the token kept only as a hash), revocation and
// deletion, listings with recipients and last use, and an audit entry for every change and refusal.
import crypto from 'node:crypto';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const inAMonth = () => new Date(Date.now() + 30 * 86_400_000).toISOString();

describe.each(BACKENDS)('share management on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (sub: string) => bearer(gw.token(sub));
  const auditOf = async (requestId: string) => gw.deps.state.knex('mg_audit').where({ request_id: requestId }).orderBy('id');

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
  });
  afterAll(async () => gw?.close());

  it('an admin shares a sales table; the change is audited with the share as resource', async () => {
    const res = await gw
      .http()
      .post('/v1/shares')
      .set(as('dana'))
      .send({ name: 'partner_orders', domain: 'sales', tables: [{ dataset: 'orders', rows: { region: 'eq.EU', amount: 'gt.100' } }], reason: 'partner reporting' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'partner_orders', domain: 'sales', createdBy: 'dana', deletedAt: null, recipients: [] });
    expect(res.body.tables[0]).toMatchObject({ name: 'orders', dataset: 'orders', columns: ['id', 'customer_id', 'region', 'amount', 'status', 'created_at'], rows: { region: 'eq.EU', amount: 'gt.100' }, clear: [], masked: [] });
    const [entry] = await auditOf(res.headers['x-request-id']);
    expect(entry).toMatchObject({ subject: 'dana', action: 'share_create', resource: 'share:partner_orders', decision: 'allow', status: 201 });
  });

  it('a steward shares their own domain; pii is masked unless they clear it with a reason', async () => {
    const res = await gw
      .http()
      .post('/v1/shares')
      .set(as('carol'))
      .send({ name: 'hr_directory', domain: 'hr', tables: [{ dataset: 'employees', alias: 'staff' }, { dataset: 'employees', alias: 'staff_contacts', columns: ['id', 'email'], clear: ['email'] }], reason: 'payroll provider' });
    expect(res.status).toBe(201);
    expect(res.body.tables[0]).toMatchObject({ name: 'staff', columns: ['id', 'name', 'email', 'department'], masked: ['email'], clear: [] });
    expect(res.body.tables[1]).toMatchObject({ name: 'staff_contacts', columns: ['id', 'email'], masked: [], clear: ['email'] });
  });

  it('confidential columns are never shared, whoever asks: 403 column_confidential naming the column', async () => {
    for (const table of [{ dataset: 'employees', columns: ['id', 'salary'] }, { dataset: 'employees', rows: { salary: 'gt.100000' } }]) {
      const res = await gw.http().post('/v1/shares').set(as('carol')).send({ name: 'leak', domain: 'hr', tables: [table], reason: 'try' });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'column_confidential', column: 'salary' });
      const [entry] = await auditOf(res.headers['x-request-id']);
      expect(entry).toMatchObject({ subject: 'carol', decision: 'deny', status: 403 });
    }
    expect((await gw.http().get('/v1/shares/leak').set(as('carol'))).status).toBe(404);
  });

  it("the steward of another domain cannot share this one; analysts and auditors cannot share at all", async () => {
    const body = { name: 'not_mine', domain: 'hr', tables: [{ dataset: 'employees' }], reason: 'try' };
    for (const sub of ['mia', 'alice', 'erin']) {
      const res = await gw.http().post('/v1/shares').set(as(sub)).send(body);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'forbidden', missing: 'manage_shares on hr' });
    }
    // mia may not add recipients to, list or delete an hr share either
    expect((await gw.http().post('/v1/shares/hr_directory/recipients').set(as('mia')).send({ name: 'x', expiresAt: inAMonth(), reason: 'r' })).status).toBe(403);
    expect((await gw.http().delete('/v1/shares/hr_directory?reason=r').set(as('mia'))).status).toBe(403);
    const list = await gw.http().get('/v1/shares').set(as('mia'));
    expect(list.status).toBe(200);
    expect(list.body.shares).toEqual([]);
  });

  it('an admin may not clear pii (only a steward who reads it in clear may)', async () => {
    const res = await gw.http().post('/v1/shares').set(as('dana')).send({ name: 'clear_by_admin', domain: 'sales', tables: [{ dataset: 'customers', clear: ['email'] }], reason: 'try' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'forbidden', missing: 'read sales.customers.email' });
  });

  it('refuses bad definitions with stable codes and no 500', async () => {
    const post = (body: unknown) => gw.http().post('/v1/shares').set(as('dana')).send(body as object);
    const base = { name: 'bad', domain: 'sales', reason: 'r' };
    expect((await post({ ...base, tables: [{ dataset: 'nope' }] })).body.code).toBe('dataset_not_found');
    expect((await post({ ...base, tables: [{ dataset: 'orders', columns: ['nope'] }] })).body.code).toBe('unknown_column');
    expect((await post({ ...base, tables: [{ dataset: 'orders', rows: { amount: 'gt.lots' } }] })).body.code).toBe('invalid_value');
    expect((await post({ ...base, tables: [{ dataset: 'orders', rows: { status: 'like.*x' } }] })).body.code).toBe('invalid_filter');
    for (const name of ['__proto__', 'constructor']) {
      const raw = `{"name":"bad","domain":"sales","reason":"r","tables":[{"dataset":"orders","rows":{"${name}":"eq.1"}}]}`;
      const res = await gw.http().post('/v1/shares').set(as('dana')).set('Content-Type', 'application/json').send(raw);
      expect([res.status, res.body.code]).toEqual([400, 'unknown_column']);
    }
    expect((await post({ ...base, tables: [{ dataset: 'orders' }, { dataset: 'orders' }] })).body.code).toBe('invalid_body');
    expect((await post({ ...base, name: 'Bad Name', tables: [{ dataset: 'orders' }] })).body.code).toBe('invalid_body');
    expect((await post({ ...base, reason: ' ', tables: [{ dataset: 'orders' }] })).body.code).toBe('reason_required');
    expect((await post({ ...base, name: 'partner_orders', tables: [{ dataset: 'orders' }] })).status).toBe(409);
  });

  it('a recipient gets its profile once; the state store keeps only the SHA-256 of the token', async () => {
    const expiresAt = inAMonth();
    const res = await gw.http().post('/v1/shares/partner_orders/recipients').set(as('dana')).send({ name: 'acme', expiresAt, reason: 'acme contract 42' });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(Object.keys(res.body).sort()).toEqual(['bearerToken', 'endpoint', 'expirationTime', 'shareCredentialsVersion']);
    expect(res.body.shareCredentialsVersion).toBe(1);
    expect(res.body.endpoint).toMatch(/^http:\/\/127\.0\.0\.1(:\d+)?\/delta-sharing$/);
    expect(res.body.expirationTime).toBe(new Date(expiresAt).toISOString());
    const token: string = res.body.bearerToken;
    expect(Buffer.from(token.slice(4), 'base64url').length).toBeGreaterThanOrEqual(32);
    const stored = await gw.deps.state.knex('mg_share_recipients').where({ name: 'acme' }).first();
    expect(stored.token_hash).toBe(crypto.createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(await gw.deps.state.knex('mg_audit').select('*'))).not.toContain(token.slice(4));
    expect(JSON.stringify(stored)).not.toContain(token.slice(4));
    // a second recipient of the same name is a conflict
    expect((await gw.http().post('/v1/shares/partner_orders/recipients').set(as('dana')).send({ name: 'acme', expiresAt, reason: 'again' })).status).toBe(409);
    // past or unbounded expiry refused
    expect((await gw.http().post('/v1/shares/partner_orders/recipients').set(as('dana')).send({ name: 'old', expiresAt: '2001-01-01T00:00:00Z', reason: 'r' })).body.code).toBe('invalid_body');
    expect((await gw.http().post('/v1/shares/partner_orders/recipients').set(as('dana')).send({ name: 'forever', expiresAt: '2999-01-01T00:00:00Z', reason: 'r' })).body.code).toBe('invalid_body');
  });

  it('lists and shows shares with their recipients and last use; revokes and deletes with a reason', async () => {
    const list = await gw.http().get('/v1/shares').set(as('dana'));
    expect(list.status).toBe(200);
    expect(list.body.shares.map((s: { name: string }) => s.name)).toEqual(['hr_directory', 'partner_orders']);
    const one = await gw.http().get('/v1/shares/partner_orders').set(as('dana'));
    expect(one.body.recipients).toEqual([expect.objectContaining({ name: 'acme', active: true, lastUsedAt: null, revokedAt: null })]);
    expect(one.body.recipients[0]).not.toHaveProperty('tokenHash');
    expect((await gw.http().get('/v1/shares').set(as('carol'))).body.shares.map((s: { name: string }) => s.name)).toEqual(['hr_directory']);

    expect((await gw.http().delete('/v1/shares/partner_orders/recipients/acme').set(as('dana'))).body.code).toBe('reason_required');
    const revoked = await gw.http().delete('/v1/shares/partner_orders/recipients/acme?reason=contract%20ended').set(as('dana'));
    expect(revoked.status).toBe(204);
    const [entry] = await auditOf(revoked.headers['x-request-id']);
    expect(entry).toMatchObject({ subject: 'dana', action: 'share_revoke_recipient', resource: 'share:partner_orders', decision: 'allow' });
    expect((await gw.http().delete('/v1/shares/partner_orders/recipients/acme?reason=again').set(as('dana'))).body.code).toBe('recipient_not_found');
    expect((await gw.http().get('/v1/shares/partner_orders').set(as('dana'))).body.recipients[0]).toMatchObject({ active: false, revokeReason: 'contract ended' });

    const deleted = await gw.http().delete('/v1/shares/hr_directory?reason=done').set(as('carol'));
    expect(deleted.status).toBe(204);
    expect((await gw.http().get('/v1/shares').set(as('carol'))).body.shares).toEqual([]);
    expect((await gw.http().get('/v1/shares?status=all').set(as('carol'))).body.shares[0]).toMatchObject({ name: 'hr_directory', deletedBy: 'carol' });
    expect((await gw.http().post('/v1/shares/hr_directory/recipients').set(as('carol')).send({ name: 'late', expiresAt: inAMonth(), reason: 'r' })).body.code).toBe('share_deleted');
    expect((await gw.http().get('/v1/shares/NOPE').set(as('dana'))).status).toBe(404);
  });
});
