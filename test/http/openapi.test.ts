// GET /openapi.json is a valid OpenAPI 3.1 document (checked by a kept validator), names every route
// the Express router serves and no route it does not, lists every problem code, and describes real
// answers; GET /docs serves the reference page from local files under a strict CSP; neither is audited.
import type * as ValidatorModule from '@seriousme/openapi-schema-validator' with { 'resolution-mode': 'import' };
import type express from 'express';
import { ERRORS } from '../../src/errors';
import { DatasetList, Grant, Health, Me } from '../../src/http/openapi/operations';
import { bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

// Published only as an ES module; jest turns it into CommonJS (jest.config.js).
const { Validator } = require('@seriousme/openapi-schema-validator') as typeof ValidatorModule;

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  /** The path a router was mounted at (app.use('/delta-sharing', router)); '/' when mounted at the root. */
  rawPath?: unknown;
}

/** Every method and path the app's router serves, read from the router itself (mount paths included). */
function servedRoutes(app: express.Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') found.push(`${m} ${prefix}${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? `${prefix}${layer.rawPath}` : prefix);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found.sort();
}

describe('OpenAPI document and API reference', () => {
  let gw: TestGateway;
  let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } } };
  beforeAll(async () => {
    gw = await startTestGateway();
    const res = await gw.http().get('/openapi.json').expect(200);
    expect(res.type).toBe('application/json');
    doc = res.body;
  });
  afterAll(() => gw?.close());

  test('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Parameters<typeof validator.validate>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  test('every route of the router has an operation, and every operation a route', () => {
    const inDocument = Object.entries(doc.paths)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p.replace(/\{([A-Za-z_]+)\}/g, ':$1')}`))
      .sort();
    expect(inDocument).toEqual(servedRoutes(gw.app));
  });

  test('every problem code is listed, and authenticated operations name the bearer scheme', () => {
    expect(doc.components.schemas.Problem.properties.code.enum.sort()).toEqual(Object.keys(ERRORS).sort());
    expect((doc as unknown as { security: unknown }).security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/grants'].post.responses['401']).toBeDefined();
  });

  test('real answers have the documented shapes', async () => {
    const admin = gw.token('dana');
    Health.parse((await gw.http().get('/healthz').expect(200)).body);
    Me.parse((await gw.http().get('/v1/me').set(bearer(admin)).expect(200)).body);
    DatasetList.parse((await gw.http().get('/v1/datasets').set(bearer(gw.token('alice'))).expect(200)).body);
    const grants = (await gw.http().get('/v1/grants').set(bearer(admin)).expect(200)).body.grants;
    expect(grants.length).toBeGreaterThan(0);
    for (const g of grants) Grant.loose().parse(g);
  });

  test('/docs renders the document with local assets under a strict CSP, and is not audited', async () => {
    const before = await gw.deps.state.knex('mg_audit').count({ n: '*' }).first();
    const page = await gw.http().get('/docs').expect(200);
    expect(page.type).toBe('text/html');
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(page.text).not.toMatch(/https?:\/\//); // nothing from outside the gateway
    expect(page.text).not.toMatch(/<script>/); // no inline script
    for (const asset of page.text.matchAll(/(?:src|href)="([^"]+)"/g)) {
      const res = await gw.http().get(asset[1]).expect(200);
      expect(Number(res.headers['content-length'] ?? res.text?.length ?? 1)).toBeGreaterThan(0);
    }
    expect((await gw.http().get('/docs/assets/__proto__')).status).toBe(404);
    expect((await gw.http().get('/docs/assets/..%2Fpackage.json')).status).toBe(404);
    await gw.deps.audit.drained();
    const after = await gw.deps.state.knex('mg_audit').count({ n: '*' }).first();
    expect(Number(after!.n)).toBe(Number(before!.n)); // public: no decision about anyone
  });
});
