// Tokens from a real OpenID provider (oidc-provider, started here as a child process on 127.0.0.1,
// issuing client-credentials JWT access tokens): discovery, keys selected by kid, a rotation picked up
// without a restart, a removed key refused, another issuer refused, and a provider that cannot be
// reached failing closed with 503 idp_unavailable for a key the gateway does not hold.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import path from 'node:path';
import { bearer, ROOT, startTestGateway, type TestGateway } from '../helpers/test-gateway';

type Jwk = crypto.JsonWebKey & { kid: string; alg: string; use: string };

const rsa = (kid: string): Jwk => ({ ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' });
const p256 = (kid: string): Jwk => ({ ...crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' });
const ed25519 = (kid: string): Jwk => ({ ...crypto.generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' });

interface Provider {
  issuer: string;
  port: number;
  child: ChildProcess;
}

/** Starts the provider with `keys` (the first signs) on `port` (0: any free port). */
function startProvider(keys: Jwk[], port = 0): Promise<Provider> {
  const child = spawn(process.execPath, [path.join(ROOT, 'test/helpers/oidc-provider.mjs'), JSON.stringify({ port, keys })], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening (http:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (m) resolve({ issuer: m[1], port: Number(m[2]), child });
    });
    child.once('exit', (code) => reject(new Error(`the OpenID provider exited (${code}): ${err}`)));
  });
}

async function stopProvider(p: Provider): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once('exit', r));
  p.child.kill('SIGKILL');
  await exited;
}

/** The same issuer (same port) with other keys: the provider rotated its keys. */
async function rotate(p: Provider, keys: Jwk[]): Promise<Provider> {
  await stopProvider(p);
  return startProvider(keys, p.port);
}

/** A client-credentials access token (a JWT) from the provider's token endpoint. */
async function clientToken(p: Provider): Promise<string> {
  const res = await fetch(`${p.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from('meshguard-tests:meshguard-tests-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid as string;

describe('identity provider: OIDC discovery and a remote JWKS', () => {
  const keyA = rsa('key-a');
  const keyB = p256('key-b');
  const keyC = ed25519('key-c');
  const keyD = rsa('key-d');
  let provider: Provider;
  let other: Provider | undefined;
  let gw: TestGateway;
  let tokenA: string;
  let tokenB: string;

  const me = (token: string) => gw.http().get('/v1/me').set(bearer(token));

  beforeAll(async () => {
    provider = await startProvider([keyA]);
    gw = await startTestGateway({
      env: {
        MESHGUARD_JWT_SECRET: '',
        MESHGUARD_JWT_ISSUER: '',
        MESHGUARD_OIDC_ISSUER: provider.issuer,
        MESHGUARD_JWT_AUDIENCE: 'meshguard',
        // No cooldown between key fetches, so the test does not wait; the default is 30 s.
        MESHGUARD_JWKS_COOLDOWN_MS: '0',
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await stopProvider(provider);
    if (other) await stopProvider(other);
  });

  test('a token from the provider is accepted (discovery, RS256 key by kid)', async () => {
    tokenA = await clientToken(provider);
    expect(kidOf(tokenA)).toBe('key-a');
    const res = await me(tokenA);
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe('meshguard-tests');
  });

  test('a rotated key is picked up without a restart (ES256)', async () => {
    provider = await rotate(provider, [keyB, keyA]);
    tokenB = await clientToken(provider);
    expect(kidOf(tokenB)).toBe('key-b');
    expect((await me(tokenB)).status).toBe(200);
    expect((await me(tokenA)).status).toBe(200); // still published
  });

  test('a removed key is refused once the new key set is fetched (EdDSA signs next)', async () => {
    provider = await rotate(provider, [keyC, keyB]);
    const tokenC = await clientToken(provider);
    expect(kidOf(tokenC)).toBe('key-c');
    expect((await me(tokenC)).status).toBe(200);
    const res = await me(tokenA);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'invalid_token', detail: "the token's key is not one the identity provider publishes" });
    expect((await me(tokenB)).status).toBe(200);
  });

  test('a token from another issuer is refused, even signed with the same keys', async () => {
    other = await startProvider([keyC, keyB]);
    const res = await me(await clientToken(other));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'invalid_token', detail: "the token's issuer or audience is not accepted" });
  });

  test('an unsigned token and a token with an algorithm no key type allows are refused', async () => {
    const payload = Buffer.from(JSON.stringify({ sub: 'meshguard-tests', iss: provider.issuer, aud: 'meshguard', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');
    for (const alg of ['none', 'HS256']) {
      const header = Buffer.from(JSON.stringify({ alg, kid: 'key-b' })).toString('base64url');
      const res = await me(`${header}.${payload}.${alg === 'none' ? '' : 'c2ln'}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    }
  });

  test('the JWKS endpoint down fails closed: 503 for an unknown key, audited; known keys still verify', async () => {
    other = await rotate(other!, [keyD]);
    const unknownKey = await clientToken(other);
    await stopProvider(provider);
    const res = await me(unknownKey);
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'idp_unavailable', detail: "the identity provider's keys cannot be fetched; try again" });
    expect((await me(tokenB)).status).toBe(200);
    await gw.deps.audit.drained();
    const row = await gw.deps.state.knex('mg_audit').where({ status: 503 }).orderBy('id', 'desc').first();
    expect(row).toMatchObject({ decision: 'deny', action: 'authenticate' });
  });
});

describe('identity provider: MESHGUARD_JWT_JWKS_URL and MESHGUARD_SUBJECT_CLAIM', () => {
  let provider: Provider;
  let gw: TestGateway;
  beforeAll(async () => {
    provider = await startProvider([p256('key-e')]);
    gw = await startTestGateway({
      env: {
        MESHGUARD_JWT_SECRET: '',
        MESHGUARD_JWT_JWKS_URL: `${provider.issuer}/jwks`,
        MESHGUARD_JWT_ISSUER: provider.issuer,
        MESHGUARD_JWT_AUDIENCE: 'meshguard',
        MESHGUARD_SUBJECT_CLAIM: 'client_id',
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await stopProvider(provider);
  });

  test('the subject is read from the configured claim', async () => {
    const res = await gw.http().get('/v1/me').set(bearer(await clientToken(provider)));
    expect(res.status).toBe(200);
    expect(res.body.subject).toBe('meshguard-tests');
  });

  test('a token that is not the audience is refused', async () => {
    const gw2 = await startTestGateway({
      env: { MESHGUARD_JWT_SECRET: '', MESHGUARD_JWT_JWKS_URL: `${provider.issuer}/jwks`, MESHGUARD_JWT_ISSUER: provider.issuer, MESHGUARD_JWT_AUDIENCE: 'someone-else' },
    });
    try {
      const res = await gw2.http().get('/v1/me').set(bearer(await clientToken(provider)));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_token');
    } finally {
      await gw2.close();
    }
  });
});
