// Paths match exactly and every refusal is audited whatever the path's spelling (issue 10, finding 2);
// too many parameters, filters, values or order terms are a 400 naming the limit, never a 503 and never
// silently dropped (finding 9). Every backend.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerClientErrors } from '../../src/http/client-errors';
import { router } from '../../src/http/router';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

describe.each(BACKENDS)('routing and query limits on $name', ({ pg }) => {
  let gw: TestGateway;
  let alice: Record<string, string>;
  let dana: Record<string, string>;
  let erin: Record<string, string>;

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    alice = bearer(gw.token('alice'));
    dana = bearer(gw.token('dana'));
    erin = bearer(gw.token('erin'));
  });
  afterAll(() => gw.close());

  const entryOf = async (requestId: string) => gw.deps.state.knex('mg_audit').where({ request_id: requestId }).first();
  const rid = () => `t-${crypto.randomUUID()}`;

  it.each([
    ['GET', '/V1/me', 'alice'],
    ['GET', '/V1/datasets/hr/employees/rows', 'alice'],
    ['GET', '/V1/audit', 'erin'],
    ['POST', '/V1/grants', 'dana'],
    ['GET', '/v1/ME', 'alice'],
    ['GET', '/v1/me/', 'alice'],
    ['GET', '/v1/datasets/sales/orders/rows/', 'alice'],
    ['GET', '/v1/Datasets/sales/orders/rows', 'alice'],
    ['DELETE', '/v1/grants', 'dana'],
  ])('%s %s is a 404, audited with its subject', async (method, path, who) => {
    const id = rid();
    const tok = { alice, dana, erin }[who]!;
    const r = await gw.http()[method.toLowerCase() as 'get' | 'post' | 'delete'](path).set(tok).set('X-Request-Id', id);
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('not_found');
    expect(await entryOf(id)).toMatchObject({ subject: who, decision: 'deny', status: 404 });
  });

  it('refuses an unknown path without a token with 401, audited', async () => {
    const id = rid();
    const r = await gw.http().get('/V1/me').set('X-Request-Id', id);
    expect(r.status).toBe(401);
    expect(await entryOf(id)).toMatchObject({ subject: null, decision: 'deny', status: 401 });
  });

  it('audits a refused read whatever the case of the path, and an encoded slash names no dataset', async () => {
    const id = rid();
    const r = await gw.http().get('/v1/datasets/sales%2Forders/x/rows').set(alice).set('X-Request-Id', id);
    expect(r.status).toBe(404);
    expect(await entryOf(id)).toMatchObject({ subject: 'alice', decision: 'deny', status: 404 });
  });

  it('audits even the answers Express makes by itself (OPTIONS)', async () => {
    const id = rid();
    const r = await gw.http().options('/v1/datasets/sales/orders/rows').set(alice).set('X-Request-Id', id);
    expect(r.status).toBeLessThan(500);
    let e;
    for (let i = 0; i < 50 && !e; i++) {
      e = await entryOf(id);
      if (!e) await new Promise((res) => setTimeout(res, 20));
    }
    expect(e).toMatchObject({ subject: 'alice', status: r.status });
  });

  it('records an answer that left without its own entry (the audit guard)', async () => {
    // A route that answers without recording its decision, put right after the request context.
    const forgetful = router();
    forgetful.get('/v1/forgets-its-entry', (_req, res) => void res.status(204).end());
    const stack = (gw.app.router as unknown as { stack: unknown[] }).stack;
    stack.splice(1, 0, ...(forgetful as unknown as { stack: unknown[] }).stack);
    const id = rid();
    expect((await gw.http().get('/v1/forgets-its-entry').set('X-Request-Id', id)).status).toBe(204);
    let e;
    for (let i = 0; i < 50 && !e; i++) {
      e = await entryOf(id);
      if (!e) await new Promise((res) => setTimeout(res, 20));
    }
    expect(e).toMatchObject({ decision: 'allow', status: 204 });
    expect(e.reason).toMatch(/recorded by the audit guard/);
  });

  it('does not audit /healthz', async () => {
    const id = rid();
    expect((await gw.http().get('/healthz').set('X-Request-Id', id)).status).toBe(200);
    expect(await entryOf(id)).toBeUndefined();
    expect((await gw.http().get('/HEALTHZ').set('X-Request-Id', id)).status).toBe(401);
  });

  it('refuses more than 100 query parameters with a 400 naming the limit, audited', async () => {
    for (const n of [101, 1001]) {
      const id = rid();
      const q = Array.from({ length: n }, () => 'id=gt.1').join('&');
      const r = await gw.http().get(`/v1/datasets/sales/orders/rows?${q}`).set(alice).set('X-Request-Id', id);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code: 'too_many_parameters', limit: 100 });
      expect(r.body.detail).toContain('at most 100');
      expect(await entryOf(id)).toMatchObject({ subject: 'alice', decision: 'deny', status: 400 });
    }
  });

  it('applies every one of 100 filters (none dropped)', async () => {
    const q = [...Array.from({ length: 99 }, () => 'id=gt.0'), 'id=eq.7'].join('&');
    const r = await gw.http().get(`/v1/datasets/sales/orders/rows?${q}`).set(alice);
    expect(r.status).toBe(200);
    expect(r.body.rows.map((x: { id: number }) => x.id)).toEqual([7]);
  });

  it('refuses too many order terms or bound values with a 400, never a 503', async () => {
    const order = Array.from({ length: 2100 }, () => 'id').join(',');
    const a = await gw.http().get(`/v1/datasets/sales/orders/rows?order=${order}`).set(alice);
    expect(a.status).toBe(400);
    expect(a.body).toMatchObject({ code: 'too_many_parameters', parameter: 'order', limit: 32 });
    const list = `in.(${Array.from({ length: 1000 }, (_, i) => i % 10).join(',')})`;
    const b = await gw.http().get(`/v1/datasets/sales/orders/rows?${Array.from({ length: 6 }, () => `id=${list}`).join('&')}`).set(alice);
    expect(b.status).toBe(400);
    expect(b.body).toMatchObject({ code: 'too_many_parameters', limit: 5000 });
    const c = await gw.http().get(`/v1/datasets/sales/orders/rows?order=${Array.from({ length: 32 }, () => 'amount.asc').join(',')}&limit=3`).set(alice);
    expect(c.status).toBe(200);
  });

  it('answers a request over the 16 KB header limit with a problem, not a bare status line', async () => {
    const server = http.createServer(gw.app);
    answerClientErrors(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const q = Array.from({ length: 3000 }, () => 'id=gt.1').join('&');
      const r = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        http
          .get({ host: '127.0.0.1', port, path: `/v1/datasets/sales/orders/rows?${q}`, headers: alice }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
          })
          .on('error', reject);
      });
      expect(r.status).toBe(431);
      expect(r.type).toBe('application/problem+json');
      expect(JSON.parse(r.body)).toMatchObject({ code: 'request_too_large', status: 431 });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
