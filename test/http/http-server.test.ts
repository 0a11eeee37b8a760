// The gateway's HTTP server (http/http-server.ts) builds each request and response from classes whose
// prototypes are the app's own, so Express's per-request Object.setPrototypeOf changes nothing. The
// objects must be what Express would have made (its methods, the app's additions such as the audit
// guard), on a real listener, whether or not the server is the gateway's.
import http from 'node:http';
import type net from 'node:net';
import express from 'express';
import { appMessageClasses, createHttpServer } from '../../src/http/http-server';
import { bearer, listen, startTestGateway, type TestGateway } from '../helpers/test-gateway';

async function get(server: http.Server, path: string, headers: Record<string, string> = {}) {
  await new Promise((r) => (server.listening ? r(null) : server.once('listening', r)));
  const { port } = server.address() as net.AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Whether each request and its response had the app's prototypes when Node built them, before Express saw them. */
const born = new WeakMap<object, boolean>();
function watchBirths(server: http.Server, app: express.Express): http.Server {
  server.prependListener('request', (req, res) => born.set(req, Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response));
  return server;
}

/** A bare app whose one route reports what its request and response are. */
function probeApp() {
  const app = express();
  (app.response as unknown as { probe(): string }).probe = function probe() {
    return 'added to app.response';
  };
  app.get('/probe', (req, res) => {
    res.json({
      bornWithAppPrototypes: born.get(req) ?? null,
      requestIsApps: Object.getPrototypeOf(req) === app.request,
      responseIsApps: Object.getPrototypeOf(res) === app.response,
      requestClass: req.constructor.name,
      responseClass: res.constructor.name,
      incomingMessage: req instanceof http.IncomingMessage,
      serverResponse: res instanceof http.ServerResponse,
      expressMethods: typeof req.get === 'function' && typeof res.json === 'function',
      header: req.get('x-probe') ?? null,
      app: req.app === app && res.app === app,
      locals: typeof res.locals === 'object',
      probe: (res as unknown as { probe(): string }).probe(),
    });
  });
  return app;
}

describe('the HTTP server', () => {
  it('builds requests and responses from the app prototypes, with everything Express gives them', async () => {
    const app = probeApp();
    const server = watchBirths(createHttpServer(app), app).listen(0, '127.0.0.1');
    try {
      const r = await get(server, '/probe', { 'x-probe': 'yes' });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({
        bornWithAppPrototypes: true,
        requestIsApps: true,
        responseIsApps: true,
        requestClass: 'AppRequest',
        responseClass: 'AppResponse',
        incomingMessage: true,
        serverResponse: true,
        expressMethods: true,
        header: 'yes',
        app: true,
        locals: true,
        probe: 'added to app.response',
      });
    } finally {
      server.close();
    }
  });

  it('leaves a server made otherwise (app.listen, supertest) answering as before', async () => {
    const app = probeApp();
    appMessageClasses(app);
    const server = watchBirths(app.listen(0, '127.0.0.1'), app);
    try {
      const body = JSON.parse((await get(server, '/probe')).body);
      // Node built plain objects; Express gave them the app's prototypes, as it does for any server.
      expect(body).toMatchObject({ bornWithAppPrototypes: false, requestIsApps: true, responseIsApps: true, requestClass: 'AppRequest', expressMethods: true, probe: 'added to app.response' });
    } finally {
      server.close();
    }
  });

  it('can be made twice for one app', async () => {
    const app = probeApp();
    const first = watchBirths(createHttpServer(app), app).listen(0, '127.0.0.1');
    const second = watchBirths(createHttpServer(app), app).listen(0, '127.0.0.1');
    try {
      for (const server of [first, second]) {
        expect(JSON.parse((await get(server, '/probe')).body)).toMatchObject({ requestIsApps: true, responseIsApps: true, expressMethods: true, app: true, probe: 'added to app.response' });
      }
      // The app's prototypes are the latest server's: its objects are born with them.
      expect(JSON.parse((await get(second, '/probe')).body).bornWithAppPrototypes).toBe(true);
    } finally {
      first.close();
      second.close();
    }
  });

  describe('the gateway on it', () => {
    let gw: TestGateway;
    beforeAll(async () => {
      gw = await startTestGateway({});
    });
    afterAll(() => gw.close());

    const entryOf = (requestId: string) => gw.deps.state.knex('mg_audit').where({ request_id: requestId }).first();

    it('answers and audits reads and refusals as it does on any server', async () => {
      const { server } = await listen(gw.app);
      const births: boolean[] = [];
      server.prependListener('request', (req, res) => births.push(Object.getPrototypeOf(req) === gw.app.request && Object.getPrototypeOf(res) === gw.app.response));
      try {
        const ok = await get(server, '/v1/datasets', { ...bearer(gw.token('alice')), 'x-request-id': 'http-server-ok' });
        expect(ok.status).toBe(200);
        expect(ok.headers.get('x-request-id')).toBe('http-server-ok');
        expect(JSON.parse(ok.body).datasets.length).toBeGreaterThan(0);
        expect(await entryOf('http-server-ok')).toMatchObject({ subject: 'alice', action: 'list_datasets', decision: 'allow', status: 200 });

        const denied = await get(server, '/v1/datasets/hr/employees/rows', { ...bearer(gw.token('alice')), 'x-request-id': 'http-server-denied' });
        expect(denied.status).toBe(403);
        expect(denied.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(await entryOf('http-server-denied')).toMatchObject({ subject: 'alice', decision: 'deny', status: 403 });

        const anonymous = await get(server, '/v1/datasets', { 'x-request-id': 'http-server-anon' });
        expect(anonymous.status).toBe(401);
        expect(await entryOf('http-server-anon')).toMatchObject({ decision: 'deny', status: 401 });
        // All three were built with the gateway's prototypes (the audit guard's writeHead among them).
        expect(births).toEqual([true, true, true]);
      } finally {
        server.close();
      }
    });
  });
});
