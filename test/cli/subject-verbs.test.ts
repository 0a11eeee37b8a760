// The operators' verbs run the same use cases as the HTTP routes (grants/grant-commands.ts,
// grants/subject-commands.ts): suspend, resume and revoke-token take effect on a running gateway and
// are audited as cli:<user>; the CLI refuses what the API refuses (prototype names as --role, a missing
// reason), as real child processes on the same state store.
import os from 'node:os';
import { cli } from '../helpers/run-cli';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ROWS = '/v1/datasets/sales/orders/rows?limit=1';
// Each verb is a child process that opens the gateway: slow on a busy machine.
const SLOW = 240_000;

describe.each(BACKENDS)('subject verbs on $name', ({ pg }) => {
  let gw: TestGateway;
  const user = os.userInfo().username;
  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' } });
  });
  afterAll(() => gw.close());

  it('suspend, resume and revoke-token from the command line take effect on the running gateway, audited as cli:<user>', async () => {
    const t = bearer(gw.token('alice'));
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
    expect((await cli(gw.env, 'suspend', '--subject', 'alice', '--reason', 'incident 9')).code).toBe(0);
    expect((await gw.http().get(ROWS).set(t)).body.code).toBe('subject_suspended');
    expect((await cli(gw.env, 'resume', '--subject', 'alice', '--reason', 'cleared')).code).toBe(0);
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);

    const jti = 'cli-revoked-1';
    const one = bearer(gw.token('alice', { jti }));
    const rev = await cli(gw.env, 'revoke-token', '--jti', jti, '--reason', 'leaked');
    expect(rev.code).toBe(0);
    expect(JSON.parse(rev.stdout)).toMatchObject({ jti, createdBy: `cli:${user}` });
    expect((await gw.http().get(ROWS).set(one)).body.code).toBe('token_revoked');
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);

    const audit = await gw.deps.state.knex('mg_audit').whereIn('action', ['suspend', 'resume', 'revoke_token']).andWhere({ decision: 'allow' }).orderBy('id');
    expect(audit.map((a: { action: string; subject: string; reason: string }) => [a.action, a.subject, a.reason])).toEqual([
      ['suspend', `cli:${user}`, 'incident 9'],
      ['resume', `cli:${user}`, 'cleared'],
      ['revoke_token', `cli:${user}`, 'leaked'],
    ]);
  }, SLOW);

  it('refuses what the API refuses: prototype names as --role, a missing reason, the operator suspending themselves', async () => {
    const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
    const results = await Promise.all(names.map((role) => cli(gw.env, 'grant', '--subject', 'proto_cli', '--role', role, '--domain', 'sales', '--reason', 'x')));
    for (const [i, r] of results.entries()) {
      expect({ role: names[i], code: r.code }).toEqual({ role: names[i], code: 2 });
      expect(r.stderr).toMatch(/unknown role/);
    }
    expect(await gw.deps.grants.list({ subject: 'proto_cli', includeRevoked: true })).toEqual([]);
    expect((await gw.http().get('/v1/me').set(bearer(gw.token('proto_cli')))).status).toBe(200);

    const g = (await gw.deps.grants.list({ subject: 'alice' }))[0];
    const [noReason, blank, suspendSelf] = await Promise.all([
      cli(gw.env, 'revoke', '--id', g.id),
      cli(gw.env, 'revoke', '--id', g.id, '--reason', '  '),
      cli(gw.env, 'suspend', '--subject', user, '--reason', 'x'),
    ]);
    for (const r of [noReason, blank]) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/a reason is required/);
    }
    expect((await gw.deps.grants.get(g.id))!.revokedAt).toBeNull();
    expect(suspendSelf.code).toBe(2);
    expect(suspendSelf.stderr).toMatch(/nobody can suspend themselves/);
  }, SLOW);
});
