// The operators' verbs (grant, renew, revoke, grants, explain, policy-check) as real child processes on
// the same state store as a running gateway: changes are effective there at once and audited as cli:<user>.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli } from '../helpers/run-cli';
import { BACKENDS, bearer, POLICIES, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ROWS = '/v1/datasets/sales/orders/rows?limit=1';

describe.each(BACKENDS)('grant verbs on $name', ({ pg }) => {
  let gw: TestGateway;
  const user = os.userInfo().username;
  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' } });
  });
  afterAll(() => gw.close());

  it('grant, renew and revoke from the command line take effect on the running gateway, audited as cli:<user>', async () => {
    const t = bearer(gw.token('olga'));
    expect((await gw.http().get(ROWS).set(t)).status).toBe(403);
    const g = await cli(gw.env, 'grant', '--subject', 'olga', '--role', 'analyst', '--domain', 'sales', '--reason', 'ticket 7');
    expect(g).toMatchObject({ code: 0 });
    const grant = JSON.parse(g.stdout);
    expect(grant).toMatchObject({ subject: 'olga', role: 'analyst', createdBy: `cli:${user}` });
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);

    const r = await cli(gw.env, 'renew', '--id', grant.id, '--expires', new Date(Date.now() + 10 * 86_400_000).toISOString(), '--reason', 'shorter');
    expect(r.code).toBe(0);
    expect(Date.parse(JSON.parse(r.stdout).expiresAt)).toBeLessThan(Date.parse(grant.expiresAt));

    const list = await cli(gw.env, 'grants', '--subject', 'olga', '--json');
    expect(JSON.parse(list.stdout).grants.map((x: { id: string }) => x.id)).toEqual([grant.id]);

    expect((await cli(gw.env, 'revoke', '--id', grant.id, '--reason', 'done')).code).toBe(0);
    expect((await gw.http().get(ROWS).set(t)).status).toBe(403);

    const audit = await gw.deps.state.knex('mg_audit').where({ resource: `grant:${grant.id}` }).orderBy('id');
    expect(audit.map((a: { action: string; subject: string }) => [a.action, a.subject])).toEqual([
      ['grant', `cli:${user}`],
      ['renew', `cli:${user}`],
      ['revoke', `cli:${user}`],
    ]);
  });

  it('refuses what the API refuses: beyond the role bound, unknown grants, the last admin grant', async () => {
    const over = await cli(gw.env, 'grant', '--subject', 'pat', '--role', 'admin', '--expires', new Date(Date.now() + 31 * 86_400_000).toISOString(), '--reason', 'x');
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/at most 30 days/);
    expect((await cli(gw.env, 'revoke', '--id', 'nope', '--reason', 'x')).code).not.toBe(0);
    expect((await cli(gw.env, 'grant', '--subject', 'pat')).code).toBe(2);
    // Without the bootstrap admin, which each start (the CLI's too) would grant again.
    const env = { ...gw.env, MESHGUARD_BOOTSTRAP_ADMIN: '' };
    const admins = (await gw.deps.grants.list({})).filter((g) => g.role === 'admin');
    expect(admins).toHaveLength(2);
    expect((await cli(env, 'revoke', '--id', admins[0].id, '--reason', 'x')).code).toBe(0);
    const last = await cli(env, 'revoke', '--id', admins[1].id, '--reason', 'x');
    expect(last.code).not.toBe(0);
    expect(last.stderr).toMatch(/last admin/);
  });

  it('explain on the command line gives the same answer as GET /v1/explain', async () => {
    const ex = await cli(gw.env, 'explain', '--subject', 'alice', '--action', 'read', '--domain', 'sales', '--dataset', 'customers', '--columns', 'email,name');
    expect(ex.code).toBe(0);
    const admin = (await gw.deps.grants.list({})).find((g) => g.role === 'admin')!;
    const http = await gw.http().get('/v1/explain?subject=alice&action=read&domain=sales&dataset=customers&columns=email,name').set(bearer(gw.token(admin.subject)));
    const { asOf: _a, ...fromHttp } = http.body;
    expect(JSON.parse(ex.stdout)).toEqual(fromHttp);
  });

  it('policy-check prints effective permissions, and exits non-zero on invalid policies', async () => {
    const ok = await cli(gw.env, 'policy-check');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/role analyst: domain scope, grants last at most 90 days/);
    expect(ok.stdout).toMatch(/pii +read masked/);
    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-badpol-'));
    fs.cpSync(POLICIES, bad, { recursive: true });
    fs.writeFileSync(path.join(bad, 'roles.yaml'), fs.readFileSync(path.join(bad, 'roles.yaml'), 'utf8').replace('maxGrantDays: 30', 'maxGrantDays: 0'));
    const r = await cli(gw.env, 'policy-check', '--dir', bad);
    fs.rmSync(bad, { recursive: true, force: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/roles.yaml at roles.admin.maxGrantDays/);
  });
});
