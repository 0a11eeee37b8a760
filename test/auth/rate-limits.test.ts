// Rate limits (issue 10, finding 12): failed authentications per client address (429 past the limit,
// refusals coalesced into one audit entry per address and window; a valid token still passes), and a
// role's read rate limit per subject (none in the bundled policies).
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig } from '../../src/config';
import { anyReadRateLimit, strictestReadLimit } from '../../src/guardrails/read-rate';
import { loadPolicies } from '../../src/policy/load-policies';
import type { Grant } from '../../src/grants/grant-types';
import { BACKENDS, POLICIES, TestClock, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ROWS = '/v1/datasets/sales/orders/rows?limit=1';
const BAD = 'Bearer not-a-jwt';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, any>;
}

/** A GET sent from a chosen loopback address, so the gateway sees distinct client addresses (req.ip). */
function getFrom(server: http.Server, from: string, urlPath: string, authorization?: string): Promise<Answer> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, localAddress: from, headers: authorization ? { authorization } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
  });
}

describe.each(BACKENDS)('failed authentications per address ($name)', ({ pg }) => {
  const clock = new TestClock(Date.UTC(2026, 10, 26, 9, 0));
  let gw: TestGateway;
  let server: http.Server;
  const erin = () => `Bearer ${gw.token('erin')}`;
  const authEntries = async () => {
    const r = await getFrom(server, '127.0.0.1', '/v1/audit?action=authenticate&limit=1000', erin());
    expect(r.status).toBe(200);
    return r.body.entries as { status: number; clientIp: string; reason: string; details: Record<string, any> | null }[];
  };

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock, env: { MESHGUARD_AUTH_FAILURES_PER_MINUTE: '30' } });
    server = http.createServer(gw.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await gw.close();
  });

  it('audits 30 failures one by one, then answers 429 with Retry-After and coalesces the refusals', async () => {
    for (let i = 1; i <= 30; i++) expect((await getFrom(server, '127.0.0.1', ROWS, BAD)).status).toBe(401);
    clock.advance(20_000);
    for (let i = 31; i <= 45; i++) {
      const r = await getFrom(server, '127.0.0.1', ROWS, i % 5 === 0 ? undefined : BAD); // no token counts too
      expect([r.status, r.body.code]).toEqual([429, 'auth_rate_limited']);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(Number(r.headers['retry-after'])).toBe(40);
    }
    // Below the limit: one entry per failure; past it: the first refusal on its own (durable before its
    // answer, so a crash cannot hide that the address was limited), the rest not yet (the window is open).
    const before = (await authEntries()).filter((e) => e.clientIp === '127.0.0.1');
    expect(before.map((e) => e.status).sort()).toEqual([...Array(30).fill(401), 429]);

    clock.advance(41_000); // the window has ended: the next request writes the coalesced entry
    const after = (await authEntries()).filter((e) => e.clientIp === '127.0.0.1');
    expect(after).toHaveLength(32);
    const coalesced = after.filter((e) => e.status === 429 && e.details?.coalesced);
    expect(coalesced).toHaveLength(1);
    expect(coalesced[0].reason).toMatch(/^auth_rate_limited: 14 /);
    expect(coalesced[0].details).toMatchObject({ coalesced: 14, failuresAuditedSeparately: 31, codes: { invalid_token: 11, missing_token: 3 } });

    // A new window: the address may fail again, audited on its own.
    expect((await getFrom(server, '127.0.0.1', ROWS, BAD)).status).toBe(401);
  });

  it('lets a valid token in from a limited address, and leaves other addresses alone', async () => {
    for (let i = 0; i < 31; i++) await getFrom(server, '127.0.0.3', ROWS, BAD);
    expect((await getFrom(server, '127.0.0.3', ROWS, BAD)).status).toBe(429);
    expect((await getFrom(server, '127.0.0.3', ROWS, `Bearer ${gw.token('alice')}`)).status).toBe(200);
    const other = await getFrom(server, '127.0.0.4', ROWS, BAD);
    expect([other.status, other.body.code]).toEqual([401, 'invalid_token']);
    expect(other.headers['retry-after']).toBeUndefined();
  });
});

describe('MESHGUARD_AUTH_FAILURES_PER_MINUTE', () => {
  it('defaults to 60 a minute, takes 0 or off for no limit, refuses nonsense in one line', () => {
    expect(loadConfig({}).authFailuresPerMinute).toBe(60);
    expect(loadConfig({ MESHGUARD_AUTH_FAILURES_PER_MINUTE: 'off' }).authFailuresPerMinute).toBe(0);
    expect(loadConfig({ MESHGUARD_AUTH_FAILURES_PER_MINUTE: '0' }).authFailuresPerMinute).toBe(0);
    expect(() => loadConfig({ MESHGUARD_AUTH_FAILURES_PER_MINUTE: '-1' })).toThrow(/^MESHGUARD_AUTH_FAILURES_PER_MINUTE: /);
    expect(() => loadConfig({ MESHGUARD_AUTH_FAILURES_PER_MINUTE: 'lots' })).toThrow(/^MESHGUARD_AUTH_FAILURES_PER_MINUTE: /);
  });
});

describe.each(BACKENDS)("a role's read rate limit ($name)", ({ pg }) => {
  const clock = new TestClock(Date.UTC(2026, 10, 26, 9, 0));
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({
      pg,
      clock,
      policies: (dir) => {
        const file = path.join(dir, 'roles.yaml');
        const doc = YAML.parse(fs.readFileSync(file, 'utf8'));
        doc.roles.analyst.readRateLimit = { requests: 5, per: '1m' };
        fs.writeFileSync(file, YAML.stringify(doc));
      },
    });
  });
  afterAll(() => gw.close());

  it('answers 429 with Retry-After past the limit, audited, and counts only reads', async () => {
    const alice = bearer(gw.token('alice')); // analyst on sales
    for (let i = 0; i < 5; i++) expect((await gw.http().get(ROWS).set(alice)).status).toBe(200);
    clock.advance(15_000);
    const r = await gw.http().get('/v1/me').set(alice);
    expect([r.status, r.body.code]).toEqual([429, 'read_rate_limited']);
    expect(r.headers['retry-after']).toBe('45');
    expect(r.body.limit).toEqual({ requests: 5, perSeconds: 60, role: 'analyst' });
    // Not a read: not counted, and refused for what it is.
    expect((await gw.http().post('/v1/datasets/sales/orders/rows').set(alice).send({ rows: [{ id: 1 }] })).status).toBe(403);

    const denied = await gw.http().get('/v1/audit?subject=alice&decision=deny&limit=10').set(bearer(gw.token('erin')));
    expect(denied.body.entries.map((e: { status: number; reason: string }) => [e.status, e.reason.split(':')[0]])).toEqual(
      expect.arrayContaining([[429, 'read_rate_limited']]),
    );

    clock.advance(45_000);
    expect((await gw.http().get(ROWS).set(alice)).status).toBe(200);
  });

  it('leaves subjects without a limited role alone (bob is a scientist: his own role declares none)', async () => {
    const bob = bearer(gw.token('bob'));
    for (let i = 0; i < 20; i++) expect((await gw.http().get(ROWS).set(bob)).status).toBe(200);
  });
});

describe('read rate limits in the policies', () => {
  it('the bundled roles declare none, so reads are not even counted', () => {
    expect(anyReadRateLimit(loadPolicies(POLICIES))).toBe(false);
  });

  it('the strictest limit of the roles granted applies (lowest rate, then the smaller burst)', () => {
    const policies = loadPolicies(POLICIES);
    const roles = policies.roles;
    roles.analyst.readRateLimit = { requests: 600, per: 60_000 };
    roles.scientist.readRateLimit = { requests: 20, per: 1000 };
    roles.steward.readRateLimit = { requests: 10, per: 1000 };
    const grant = (role: string) => ({ role }) as Grant;
    expect(strictestReadLimit(policies, [grant('scientist'), grant('analyst')])).toEqual({ requests: 600, per: 60_000, role: 'analyst' });
    expect(strictestReadLimit(policies, [grant('steward'), grant('analyst')])).toEqual({ requests: 10, per: 1000, role: 'steward' });
    expect(strictestReadLimit(policies, [grant('admin')])).toBeUndefined();
  });
});
