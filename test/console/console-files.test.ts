// /console/ and its files: public (no token, no audit entry), under the console's strict CSP, only
// the built files (anything else under /console/ is a 404), the sign-in settings in config.json, and
// a clear 404 when the console was never built. No browser here: test/console/console-browser.test.ts drives one.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { buildApp } from '../../src/app';
import { consoleCsp } from '../../src/http/routes/console-routes';
import { ROOT, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const STRICT = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

describe('the console files', () => {
  let gw: TestGateway;
  let dir: string;
  const entries = async () => Number((await gw.deps.state.knex('mg_audit').count({ n: '*' }).first())!.n);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-console-'));
    await require(path.join(ROOT, 'scripts/build-console.js')).buildConsole(ROOT, dir);
    gw = await startTestGateway({ env: { MESHGUARD_CONSOLE_DIR: dir } });
  });
  afterAll(async () => {
    await gw.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page, its script and styles without a token, under the strict CSP, unaudited', async () => {
    const before = await entries();
    const page = await gw.http().get('/console/').expect(200);
    expect(page.type).toBe('text/html');
    expect(page.text).toContain('<script src="/console/assets/console.js"></script>');
    expect(page.text).not.toMatch(/<script>|https?:\/\//);
    for (const [file, type] of [['console.js', 'text/javascript'], ['console.css', 'text/css']]) {
      const r = await gw.http().get(`/console/assets/${file}`).expect(200);
      expect(r.type).toBe(type);
      expect(r.headers['content-security-policy']).toBe(STRICT);
    }
    expect(page.headers).toMatchObject({ 'content-security-policy': STRICT, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' });
    const config = await gw.http().get('/console/config.json').expect(200);
    expect(config.body).toEqual({ oidc: null });
    const redirect = await gw.http().get('/console').expect(308);
    expect(redirect.headers.location).toBe('/console/');
    expect(await entries()).toBe(before);
  });

  it('answers 404 for anything but its files, whatever the spelling', async () => {
    for (const p of ['/console/assets/nope.js', '/console/assets/..%2Findex.html', '/console/assets/%2e%2e%2f%2e%2e%2fpackage.json', '/console/assets/__proto__', '/console/assets/constructor']) {
      const r = await gw.http().get(p);
      expect([p, r.status, r.body.code]).toEqual([p, 404, 'not_found']);
    }
    // Other paths under /console/ are not the console's: the JWT door answers them like any unknown path.
    expect((await gw.http().get('/console/index.html')).status).toBe(401);
    expect((await gw.http().get('/CONSOLE/')).status).toBe(401);
  });

  it('names the OIDC issuer and client id when both are configured, and lets the page reach the issuer only', async () => {
    const config = { ...gw.deps.config, jwt: { ...gw.deps.config.jwt, oidcIssuer: 'https://id.example.org/realms/mesh' }, console: { dir, clientId: 'meshguard-console' } };
    const app = buildApp({ ...gw.deps, config });
    const r = await request(app).get('/console/config.json').expect(200);
    expect(r.body).toEqual({ oidc: { issuer: 'https://id.example.org/realms/mesh', clientId: 'meshguard-console' } });
    expect(r.headers['content-security-policy']).toBe(STRICT.replace("connect-src 'self'", "connect-src 'self' https://id.example.org"));
    expect(consoleCsp()).toBe(STRICT);
  });

  it('says how to build the console when it was never built', async () => {
    const app = buildApp({ ...gw.deps, config: { ...gw.deps.config, console: { dir: path.join(dir, 'missing') } } });
    const r = await request(app).get('/console/').expect(404);
    expect(r.body).toMatchObject({ code: 'not_found', detail: 'the console is not built: run npm run build' });
  });
});
