// Authentication: every bad-token case is a 401 with WWW-Authenticate, never a 403 or a 500.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { TestClock, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ROWS = '/v1/datasets/sales/orders/rows?limit=1';
const now = () => Math.floor(Date.now() / 1000);
const b64u = (x: object) => Buffer.from(JSON.stringify(x)).toString('base64url');

function expect401(r: { status: number; headers: Record<string, string>; body: { code?: string; detail?: string } }, code: string, detail?: string): void {
  expect(r.status).toBe(401);
  expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(r.headers['www-authenticate']).toMatch(/^Bearer /);
  expect(r.body.code).toBe(code);
  if (detail !== undefined) expect(r.body.detail).toBe(detail);
}

// The fixed details verify-token.ts answers with, so a test can tell which check refused a token.
const ALGORITHM_REFUSED = "the token's algorithm is not allowed";
const SIGNATURE_REFUSED = "the token's signature does not verify";
const MALFORMED = 'the token is not a well-formed JWT';

describe('HS256 deployment', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('accepts a valid token', async () => {
    expect((await gw.http().get(ROWS).set(bearer(gw.token('alice')))).status).toBe(200);
  });

  it('asks for a token when there is none, with a bare Bearer challenge', async () => {
    const r = await gw.http().get(ROWS);
    expect401(r, 'missing_token');
    expect(r.headers['www-authenticate']).not.toMatch(/error=/);
  });

  it.each([
    ['a non-Bearer scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ['garbage', 'Bearer not-a-jwt'],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s', async (_name, header) => {
    const r = await gw.http().get(ROWS).set('Authorization', header);
    expect401(r, 'invalid_token');
    expect(r.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('refuses a token signed with another secret, for its signature', async () => {
    const t = jwt.sign({ sub: 'alice', iat: now(), exp: now() + 60, iss: 'meshguard-tests', aud: 'meshguard' }, 'x'.repeat(64));
    expect401(await gw.http().get(ROWS).set(bearer(t)), 'invalid_token', SIGNATURE_REFUSED);
  });

  // Every claim the gateway requires is present (iat included), so only the algorithm can refuse these.
  it('refuses alg none, for its algorithm', async () => {
    const t = `${b64u({ alg: 'none', typ: 'JWT' })}.${b64u({ sub: 'alice', iat: now(), exp: now() + 60, iss: 'meshguard-tests', aud: 'meshguard' })}.`;
    expect401(await gw.http().get(ROWS).set(bearer(t)), 'invalid_token', ALGORITHM_REFUSED);
  });

  it('refuses HS512 even with the right secret (algorithm pinned)', async () => {
    const t = jwt.sign({ sub: 'alice', iat: now(), exp: now() + 60, iss: 'meshguard-tests', aud: 'meshguard' }, gw.secret, { algorithm: 'HS512' });
    expect401(await gw.http().get(ROWS).set(bearer(t)), 'invalid_token', ALGORITHM_REFUSED);
  });

  // Issue 10 finding 6: the payload decodes to `x\r\nSet-Cookie: a=b`; the JSON parser's message quoted it
  // into WWW-Authenticate, Node refused the header, and the answer was a 500 with a stack trace.
  it('refuses a token whose payload is not JSON with a 401 and fixed text, never a 500', async () => {
    const t = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eA0KU2V0LUNvb2tpZTogYT1i.sig';
    const r = await gw.http().get(ROWS).set(bearer(t));
    expect401(r, 'invalid_token', MALFORMED);
    expect(r.headers['www-authenticate']).toBe('Bearer realm="meshguard", error="invalid_token", error_description="the token is invalid"');
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('refuses an expired token, but honours 30 s of clock tolerance', async () => {
    expect401(await gw.http().get(ROWS).set(bearer(gw.token('alice', { exp: now() - 120 }))), 'token_expired');
    expect((await gw.http().get(ROWS).set(bearer(gw.token('alice', { exp: now() - 10 })))).status).toBe(200);
  });

  it('honours nbf', async () => {
    expect401(await gw.http().get(ROWS).set(bearer(gw.token('alice', { nbf: now() + 600 }))), 'token_not_yet_valid');
    expect((await gw.http().get(ROWS).set(bearer(gw.token('alice', { nbf: now() + 10 })))).status).toBe(200);
  });

  it('requires exp', async () => {
    const t = jwt.sign({ sub: 'alice', iss: 'meshguard-tests', aud: 'meshguard' }, gw.secret, { algorithm: 'HS256' });
    expect401(await gw.http().get(ROWS).set(bearer(t)), 'invalid_token');
  });

  it('requires sub', async () => {
    expect401(await gw.http().get(ROWS).set(bearer(gw.token('alice', { sub: undefined }))), 'invalid_token');
    expect401(await gw.http().get(ROWS).set(bearer(gw.token(''))), 'invalid_token');
  });

  it('checks issuer and audience when configured', async () => {
    expect401(await gw.http().get(ROWS).set(bearer(gw.token('alice', { iss: 'someone-else' }))), 'invalid_token');
    expect401(await gw.http().get(ROWS).set(bearer(gw.token('alice', { aud: 'another-api' }))), 'invalid_token');
  });

  it('lets a valid token of a subject with no grant in, then refuses with 403 (authorisation, not authentication)', async () => {
    const r = await gw.http().get(ROWS).set(bearer(gw.token('nobody')));
    expect(r.status).toBe(403);
  });

  it('needs no token for /healthz', async () => {
    expect((await gw.http().get('/healthz')).status).toBe(200);
  });
});

describe.each([
  ['RS256', 'rsa', {}] as const,
  ['ES256', 'ec', { namedCurve: 'prime256v1' }] as const,
])('%s deployment', (alg, type, params) => {
  let gw: TestGateway;
  let privateKey: crypto.KeyObject;
  let publicPem: string;
  beforeAll(async () => {
    const pair = type === 'rsa' ? crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }) : crypto.generateKeyPairSync('ec', params as { namedCurve: string });
    privateKey = pair.privateKey;
    publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-key-'));
    const keyFile = path.join(keyDir, 'public.pem');
    fs.writeFileSync(keyFile, publicPem);
    gw = await startTestGateway({ env: { MESHGUARD_JWT_SECRET: '', MESHGUARD_JWT_PUBLIC_KEY_FILE: keyFile } });
  });
  afterAll(() => gw.close());

  const claims = () => ({ sub: 'alice', iat: now(), exp: now() + 60, iss: 'meshguard-tests', aud: 'meshguard' });

  it('accepts a token signed with the private key', async () => {
    const t = jwt.sign(claims(), privateKey, { algorithm: alg });
    expect((await gw.http().get(ROWS).set(bearer(t))).status).toBe(200);
  });

  it('refuses HS256 signed with the public key (algorithm confusion)', async () => {
    const h = b64u({ alg: 'HS256', typ: 'JWT' });
    const p = b64u(claims());
    const sig = crypto.createHmac('sha256', publicPem).update(`${h}.${p}`).digest('base64url');
    expect401(await gw.http().get(ROWS).set(bearer(`${h}.${p}.${sig}`)), 'invalid_token', ALGORITHM_REFUSED);
  });
});

// A token verified once is remembered (verified-tokens.ts); its time checks must still be made on every use.
describe('a token reused as time passes', () => {
  const clock = new TestClock();
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ clock });
  });
  afterAll(() => gw.close());

  it('is refused once it expires, after being accepted while valid', async () => {
    const t = bearer(gw.token('alice'));
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
    clock.advance(3600_000 + 20_000); // past exp, within the 30 s tolerance
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
    clock.advance(15_000); // past exp + 30 s
    expect401(await gw.http().get(ROWS).set(t), 'token_expired');
  });

  it('is refused when the clock is before its nbf, after being accepted later', async () => {
    const nbf = Math.floor(clock.now().getTime() / 1000) + 100;
    const t = bearer(gw.token('alice', { nbf, iat: nbf }));
    clock.advance(100_000);
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
    clock.advance(-200_000);
    expect401(await gw.http().get(ROWS).set(t), 'token_not_yet_valid');
  });
});
