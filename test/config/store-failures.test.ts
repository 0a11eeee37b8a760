// A store that no longer matches the catalog (a dropped table, a renamed column) is visible to the
// operator: one log line per broken dataset at start-up, a /healthz that names it ("degraded", still
// 200: the other datasets are served), and every 5xx logged with its driver error and request id.
import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { openGateway, type Gateway } from '../../src/gateway';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

type LogLine = { level: number; msg: string; err?: { message?: string }; [k: string]: unknown };
const ERROR = 50;

describe.each(BACKENDS)('store failures on $name', ({ pg }) => {
  let gw: TestGateway;
  let broken: Gateway;
  const logs: LogLine[] = [];

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    // Someone renames a column and drops a table under the running mesh...
    await gw.deps.stores.get('sales')!.knex.schema.alterTable('orders', (t) => t.renameColumn('amount', 'amount_eur'));
    await gw.deps.stores.get('hr')!.knex.schema.dropTable('employees');
    // ...and a gateway starts on it, as in production (no demo seed to recreate the table).
    const logger = pino({ level: 'info' }, { write: (s: string) => void logs.push(JSON.parse(s)) });
    broken = await openGateway(loadConfig({ ...gw.env, MESHGUARD_SEED_DEMO: 'false' }, gw.dataDir), { logger });
  });
  afterAll(async () => {
    await broken?.close();
    await gw?.close();
  });

  it('logs one error line per broken dataset at start-up, naming it and what is missing', () => {
    const startup = logs.filter((l) => l.level >= ERROR && typeof l.dataset === 'string');
    expect(startup.map((l) => [l.dataset, l.problem])).toEqual([
      ['hr.employees', 'missing table employees'],
      ['sales.orders', 'missing column amount'],
    ]);
    expect(startup[1].msg).toMatch(/^dataset sales\.orders: missing column amount/);
  });

  it('/healthz says degraded and which datasets are broken; the sound ones are still served', async () => {
    const health = await request(broken.app).get('/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'degraded',
      datasets: { 'hr.employees': 'missing table employees', 'sales.orders': 'missing column amount' },
      policyVersion: broken.deps.policies.version,
    });
    expect((await request(broken.app).get('/v1/datasets/sales/customers/rows?limit=1').set(bearer(gw.token('alice')))).status).toBe(200);
    expect((await gw.http().get('/healthz')).body.status).toBe('ok');
  });

  it('a 503 from the broken store is logged at error level with the driver error and the request id', async () => {
    const res = await request(broken.app).get('/v1/datasets/sales/orders/rows?limit=1').set(bearer(gw.token('alice')));
    expect(res.status).toBe(503);
    expect(res.body.code).toBe('store_unavailable');
    expect(JSON.stringify(res.body)).not.toMatch(/amount_eur|no such column|does not exist/);
    const logged = logs.filter((l) => l.requestId === res.body.requestId && l.level >= ERROR);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ code: 'store_unavailable', msg: res.body.detail });
    expect(logged[0].err?.message).toMatch(/amount/);
  });

  it('an audit log that cannot be written is a 503 logged with the driver error behind it', async () => {
    const state = broken.deps.state.knex;
    await state.schema.renameTable('mg_audit', 'mg_audit_moved');
    try {
      const res = await request(broken.app).get('/v1/me').set(bearer(gw.token('alice')));
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('audit_unavailable');
      const logged = logs.filter((l) => l.requestId === res.body.requestId && l.level >= ERROR);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ code: 'audit_unavailable' });
      expect(logged[0].err?.message).toMatch(/mg_audit/);
    } finally {
      await state.schema.renameTable('mg_audit_moved', 'mg_audit');
    }
  });

  it('a 4xx is an answer, not a fault: nothing is logged at error level for it', async () => {
    const before = logs.length;
    const res = await request(broken.app).get('/v1/datasets/sales/customers/rows?limit=1');
    expect(res.status).toBe(401);
    expect(logs.slice(before).filter((l) => l.level >= ERROR)).toEqual([]);
  });
});
