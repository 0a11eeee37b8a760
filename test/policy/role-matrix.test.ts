// The role x action x domain matrix of the demo mesh, through the real HTTP API. Deny by default:
// every cell not listed as allowed must be refused with 403.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

type Action = 'list' | 'read' | 'insert' | 'update';
const DATASETS = ['sales/orders', 'sales/customers', 'marketing/campaigns', 'hr/employees'] as const;
const NEW_ROW: Record<(typeof DATASETS)[number], Record<string, unknown>> = {
  'sales/orders': { id: 90001, customer_id: 1, region: 'EU', amount: 1.5, status: 'pending', created_at: '2026-01-01T00:00:00Z' },
  'sales/customers': { id: 90001, name: 'New Customer', region: 'EU', segment: 'smb' },
  'marketing/campaigns': { id: 90001, name: 'new', channel: 'email', budget: 10, start_date: '2026-01-01' },
  'hr/employees': { id: 90001, name: 'New Hire', department: 'people' },
};
const UPDATE: Record<(typeof DATASETS)[number], Record<string, unknown>> = {
  'sales/orders': { status: 'paid' },
  'sales/customers': { segment: 'smb' },
  'marketing/campaigns': { channel: 'email' },
  'hr/employees': { department: 'people' },
};

/** subject -> dataset -> actions allowed. Anything absent is denied. */
const ALLOWED: Record<string, Partial<Record<(typeof DATASETS)[number], Action[]>>> = {
  alice: { 'sales/orders': ['list', 'read'], 'sales/customers': ['list', 'read'] },
  bob: { 'sales/orders': ['list', 'read', 'insert', 'update'], 'sales/customers': ['list', 'read', 'insert', 'update'] },
  carol: { 'hr/employees': ['list', 'read', 'insert', 'update'] },
  dana: {},
  erin: {},
};

const cases = Object.entries(ALLOWED).flatMap(([subject, allowed]) =>
  DATASETS.flatMap((ds) => (['read', 'insert', 'update'] as const).map((action) => ({ subject, ds, action, allowed: (allowed[ds] ?? []).includes(action) }))),
);

describe.each(BACKENDS)('role matrix on $name', ({ pg }) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ pg });
  });
  afterAll(() => gw.close());

  it.each(cases)('$subject $action $ds -> allowed=$allowed', async ({ subject, ds, action, allowed }) => {
    const t = bearer(gw.token(subject));
    const url = `/v1/datasets/${ds}/rows`;
    const r =
      action === 'read'
        ? await gw.http().get(`${url}?limit=1`).set(t)
        : action === 'insert'
          ? await gw.http().post(url).set(t).send({ rows: [{ ...NEW_ROW[ds], id: 90000 + Math.floor(Math.random() * 9999) }] })
          : await gw.http().patch(`${url}?id=eq.1`).set(t).send({ set: UPDATE[ds] });
    if (allowed) expect(r.status).toBe(action === 'insert' ? 201 : 200);
    else {
      expect(r.status).toBe(403);
      expect(r.body.code).toBe('forbidden');
    }
  });

  it.each(Object.keys(ALLOWED))('%s lists exactly the datasets it may act on', async (subject) => {
    const r = await gw.http().get('/v1/datasets').set(bearer(gw.token(subject)));
    expect(r.status).toBe(200);
    const listed = r.body.datasets.map((d: { domain: string; dataset: string }) => `${d.domain}/${d.dataset}`).sort();
    expect(listed).toEqual(Object.keys(ALLOWED[subject]).sort());
  });

  it('a subject with several grants gets their union (analyst on sales + scientist on marketing)', async () => {
    const admin = bearer(gw.token('dana'));
    for (const g of [{ role: 'analyst', domain: 'sales' }, { role: 'scientist', domain: 'marketing' }]) {
      expect((await gw.http().post('/v1/grants').set(admin).send({ subject: 'gus', reason: 'union test', ...g })).status).toBe(201);
    }
    const t = bearer(gw.token('gus'));
    expect((await gw.http().get('/v1/datasets/sales/orders/rows?limit=1').set(t)).status).toBe(200);
    expect((await gw.http().patch('/v1/datasets/sales/orders/rows?id=eq.1').set(t).send({ set: { status: 'paid' } })).status).toBe(403);
    expect((await gw.http().patch('/v1/datasets/marketing/campaigns/rows?id=eq.1').set(t).send({ set: { channel: 'search' } })).status).toBe(200);
    expect((await gw.http().get('/v1/datasets/hr/employees/rows').set(t)).status).toBe(403);
    const me = await gw.http().get('/v1/me').set(t);
    expect(me.body.grants.map((g: { role: string }) => g.role).sort()).toEqual(['analyst', 'scientist']);
  });
});
