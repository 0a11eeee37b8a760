// Property (issue 10, finding 6): whatever a caller sends as a bearer token (any printable string, or a
// three-segment JWT whose base64url header and payload hold JSON or not-JSON with control characters),
// the answer is a 401 whose WWW-Authenticate header is printable ASCII, whose detail is one of
// verify-token's fixed texts, and which, like the audit entry, never carries any of the token's text.
import crypto from 'node:crypto';
import fc from 'fast-check';
import { TOKEN_REFUSALS } from '../../src/auth/verify-token';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ROWS = '/v1/datasets/sales/orders/rows?limit=1';
const FIXED: string[] = Object.values(TOKEN_REFUSALS);
const b64u = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

/** Any text, control characters (CR, LF, NUL, DEL) and non-ASCII included. */
const wild = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\r', '\n', '\u0000', '\u007f', '"', '\\', '\u2028', '🦄', 'Set-Cookie: a=b'),
    fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 40,
});
const jsonText = fc.oneof(
  wild,
  fc.dictionary(fc.constantFrom('sub', 'exp', 'iat', 'iss', 'aud', 'alg', 'typ', 'x'), fc.oneof(wild, fc.integer()), { maxKeys: 4 }).map((o) => JSON.stringify(o)),
  wild.map((w) => `{"sub":"${w}"`), // truncated JSON: the parser's message quotes it
);
const header = fc.oneof(
  fc.constantFrom('{"alg":"HS256","typ":"JWT"}', '{"alg":"HS256"}', '{"alg":"none","typ":"JWT"}', '{"alg":"RS256","typ":"JWT"}'),
  jsonText,
);

describe.each(BACKENDS)('bad tokens ($name)', ({ pg }) => {
  let gw: TestGateway;
  // Rate limiting of failed authentications is off here: every attempt must reach the verifier.
  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_AUTH_FAILURES_PER_MINUTE: '0' } });
  });
  afterAll(() => gw.close());

  const texts = new Set<string>();

  async function expectSafe401(authorization: string, secrets: string[]): Promise<void> {
    const r = await gw.http().get(ROWS).set('Authorization', authorization);
    expect(r.status).toBe(401);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    const challenge = String(r.headers['www-authenticate']);
    expect(challenge).toMatch(/^Bearer [\x20-\x7e]*$/);
    expect(FIXED).toContain(r.body.detail);
    for (const s of secrets.filter((x) => x.length >= 6)) {
      texts.add(s);
      expect(challenge).not.toContain(s);
      expect(r.text).not.toContain(s);
      expect(r.text).not.toContain(JSON.stringify(s).slice(1, -1));
    }
  }

  it('any printable bearer string is a safe 401', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 }), async (s) => {
        await expectSafe401(`Bearer ${s}`, [s.trim()]);
      }),
      { numRuns: 150 },
    );
  });

  it('any base64url header and payload, JSON or not, signed or not, is a safe 401', async () => {
    await fc.assert(
      fc.asyncProperty(header, jsonText, fc.constantFrom('none', 'junk', 'hmac'), async (h, p, sig) => {
        const signingInput = `${b64u(h)}.${b64u(p)}`;
        const signature = sig === 'none' ? '' : sig === 'junk' ? 'c2lnbmF0dXJl' : crypto.createHmac('sha256', gw.secret).update(signingInput).digest('base64url');
        const token = `${signingInput}.${signature}`;
        await expectSafe401(`Bearer ${token}`, [token, h, p]);
      }),
      { numRuns: 200 },
    );
  });

  it('the audit entries of those refusals hold only the fixed texts', async () => {
    const r = await gw.http().get('/v1/audit?action=authenticate&limit=500').set(bearer(gw.token('erin')));
    expect(r.status).toBe(200);
    expect(r.body.entries.length).toBeGreaterThan(100);
    const escaped = [...texts].map((s) => JSON.stringify(s).slice(1, -1));
    for (const e of r.body.entries as { reason: string; subject: string | null }[]) {
      expect(e.subject).toBeNull();
      expect(FIXED).toContain(/^[a-z_]+: (.*)$/s.exec(e.reason)?.[1]);
      const stored = JSON.stringify(e);
      const leaked = escaped.filter((s) => stored.includes(s));
      expect(leaked).toEqual([]);
    }
  });
});
