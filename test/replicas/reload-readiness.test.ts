// Policy reload without a restart (POST /v1/admin/policies/reload and the SIGHUP path), /readyz, and
// on PostgreSQL the change feed that lets a replica skip the counter query while nothing changed.
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { BACKENDS, PG_URL, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ORDERS = '/v1/datasets/sales/orders/rows?limit=1';
const DENY_ORDERS = `
      - actions: [read]
        datasets: [orders]
        inverted: true
        reason: orders withdrawn from analysts`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `ok()` holds. */
async function eventually(ok: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) if (await ok()) return;
  throw new Error(`not within ${ms} ms: ${what}`);
}

describe.each(BACKENDS)('policy reload and readiness on $name', ({ pg }) => {
  let gw: TestGateway;
  let roles: string;
  let rolesFile: string;
  const as = (s: string) => bearer(gw.token(s));
  const auditCount = async () => Number((await gw.deps.state.knex('mg_audit').count({ n: '*' }).first())!.n);

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    rolesFile = path.join(gw.env.MESHGUARD_POLICIES_DIR, 'roles.yaml');
    roles = fs.readFileSync(rolesFile, 'utf8');
  });
  afterAll(() => gw.close());
  afterEach(() => fs.writeFileSync(rolesFile, roles));

  it('/readyz is public, unaudited, and tells the policy version', async () => {
    const before = await auditCount();
    const r = await gw.http().get('/readyz');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ready', policyVersion: gw.deps.policies.version, state: pg ? 'postgres' : 'sqlite' });
    if (pg) await eventually(async () => (await gw.http().get('/readyz')).body.changeFeed === 'listening', 'the change feed listens');
    else expect(r.body.changeFeed).toBe('off');
    expect(await auditCount()).toBe(before);
  });

  it('/readyz answers 503 not_ready with the reason while draining, and /healthz stays 200', async () => {
    gw.deps.lifecycle.draining = true;
    try {
      const r = await gw.http().get('/readyz');
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ code: 'not_ready', policyVersion: gw.deps.policies.version });
      expect(r.body.reasons).toEqual([expect.stringMatching(/^draining/)]);
      expect((await gw.http().get('/healthz')).status).toBe(200);
    } finally {
      gw.deps.lifecycle.draining = false;
    }
  });

  it('only a subject with reload_policies may reload, and the refusal is audited', async () => {
    const r = await gw.http().post('/v1/admin/policies/reload').set(as('alice'));
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'forbidden', missing: 'reload_policies' });
    const entry = await gw.deps.state.knex('mg_audit').where({ request_id: r.headers['x-request-id'] }).first();
    expect(entry).toMatchObject({ subject: 'alice', action: 'reload_policies', decision: 'deny' });
  });

  it('a bad policy file keeps the old policies and says why', async () => {
    const v0 = gw.deps.policies.version;
    fs.writeFileSync(rolesFile, `${roles}\n  broken: [`);
    const r = await gw.http().post('/v1/admin/policies/reload').set(as('dana'));
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'invalid_policies', policyVersion: v0 });
    expect(r.body.detail).toMatch(/roles\.yaml/);
    fs.writeFileSync(rolesFile, roles.replace('maxGrantDays: 30', 'maxGrantDays: 0'));
    expect((await gw.http().post('/v1/admin/policies/reload').set(as('dana'))).body.detail).toMatch(/roles\.yaml at roles\.admin\.maxGrantDays/);
    expect(gw.deps.policies.version).toBe(v0);
    expect((await gw.http().get('/readyz')).body.policyVersion).toBe(v0);
    expect((await gw.http().get(ORDERS).set(as('alice'))).status).toBe(200);
  });

  it('a change of stores.yaml is refused: store connections need a restart', async () => {
    const storesFile = path.join(gw.env.MESHGUARD_POLICIES_DIR, 'stores.yaml');
    const stores = fs.readFileSync(storesFile, 'utf8');
    try {
      fs.writeFileSync(storesFile, `${stores}\n  extra:\n    kind: sqlite\n    file: extra.sqlite\n`);
      const r = await gw.http().post('/v1/admin/policies/reload').set(as('dana'));
      expect(r.status).toBe(422);
      expect(r.body.detail).toMatch(/stores\.yaml changed/);
    } finally {
      fs.writeFileSync(storesFile, stores);
    }
  });

  it('a good reload takes effect on the next request, and the audit entries carry the new version from then on', async () => {
    const v0 = gw.deps.policies.version;
    const before = await gw.http().get(ORDERS).set(as('alice'));
    expect(before.status).toBe(200);
    fs.writeFileSync(rolesFile, roles.replace(/(  analyst:\n(?:.*\n)*?    rules:)/, `$1${DENY_ORDERS}`));
    const r = await gw.http().post('/v1/admin/policies/reload').set(as('dana'));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ from: v0, to: expect.any(String), changed: true });
    const v1 = r.body.to;
    expect(v1).not.toBe(v0);
    expect((await gw.http().get('/readyz')).body.policyVersion).toBe(v1);
    const after = await gw.http().get(ORDERS).set(as('alice'));
    expect(after.status).toBe(403);
    const version = async (id: string) => (await gw.deps.state.knex('mg_audit').where({ request_id: id }).first()).policy_version;
    expect(await version(before.headers['x-request-id'])).toBe(v0);
    // The reload request itself was decided under the policies it replaced.
    expect(await version(r.headers['x-request-id'])).toBe(v0);
    expect(await version(after.headers['x-request-id'])).toBe(v1);
    // Reloading the same files again changes nothing.
    expect((await gw.http().post('/v1/admin/policies/reload').set(as('dana'))).body).toEqual({ from: v1, to: v1, changed: false });
  });

  it('the SIGHUP path reloads too, audited under the signal, and a bad file rejects it', async () => {
    fs.writeFileSync(rolesFile, roles);
    const done = await gw.reloadPolicies('signal:SIGHUP');
    expect(done.to).toBe(gw.deps.policies.version);
    expect((await gw.http().get(ORDERS).set(as('alice'))).status).toBe(200);
    fs.writeFileSync(rolesFile, 'roles: 3');
    await expect(gw.reloadPolicies('signal:SIGHUP')).rejects.toMatchObject({ code: 'invalid_policies' });
    const entries = await gw.deps.state.knex('mg_audit').where({ subject: 'signal:SIGHUP' }).orderBy('id').select('decision', 'action');
    expect(entries).toEqual([
      { decision: 'allow', action: 'reload_policies' },
      { decision: 'deny', action: 'reload_policies' },
    ]);
  });
});

(PG_URL ? describe : describe.skip)('the change feed on postgres', () => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));

  beforeAll(async () => {
    gw = await startTestGateway({ pg: true });
    await eventually(() => gw.deps.feed!.listening, 'the change feed listens');
  });
  afterAll(() => gw.close());

  it('skips the counter query while nothing changed, and reads it again after a change', async () => {
    const t = as('alice');
    expect((await gw.http().get(ORDERS).set(t)).status).toBe(200);
    const s0 = { ...gw.deps.access.versionStats };
    for (let i = 0; i < 5; i++) expect((await gw.http().get(ORDERS).set(t)).status).toBe(200);
    const s1 = { ...gw.deps.access.versionStats };
    expect(s1.skipped - s0.skipped).toBeGreaterThanOrEqual(1);
    expect(s1.queries - s0.queries + s1.skipped - s0.skipped).toBe(5);
    const g = await gw.http().post('/v1/grants').set(as('dana')).send({ subject: 'pia', role: 'analyst', domain: 'sales', reason: 'feed' });
    expect(g.status).toBe(201);
    expect((await gw.http().get(ORDERS).set(as('pia'))).status).toBe(200);
    expect((await gw.http().delete(`/v1/grants/${g.body.id}?reason=done`).set(as('dana'))).status).toBe(204);
    expect((await gw.http().get(ORDERS).set(as('pia'))).status).toBe(403);
  });

  it('falls back to the query when the listener connection is lost, and listens again by itself', async () => {
    const connects = gw.deps.feed!.stats.connects;
    const admin = new Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      // The listener is the session that LISTENs on the state's channel.
      const killed = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where query like 'select pg_notify($1, $2)' or query like 'LISTEN %'");
      expect(killed.rowCount).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.end();
    }
    await eventually(() => !gw.deps.feed!.listening, 'the feed notices the lost connection');
    const s0 = { ...gw.deps.access.versionStats };
    expect((await gw.http().get(ORDERS).set(as('alice'))).status).toBe(200);
    expect(gw.deps.access.versionStats.queries).toBe(s0.queries + 1);
    await eventually(() => gw.deps.feed!.listening && gw.deps.feed!.stats.connects > connects, 'the feed listens again');
  });
});
