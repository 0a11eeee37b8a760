// Explain agrees with the real decision for every role x action x classification (and for whole
// datasets): for each case the test asks /v1/explain and makes the real request, and compares.
import { loadPolicies } from '../../src/policy/load-policies';
import { BACKENDS, bearer, POLICIES, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const policies = loadPolicies(POLICIES);
const ACTIONS = ['read', 'insert', 'update'] as const;
const SAMPLE: Record<string, unknown> = { integer: 1, decimal: 1.5, text: 'x', boolean: true, date: '2026-01-01', timestamp: '2026-01-01T00:00:00Z' };

/** One column per (dataset, classification), plus the whole dataset (column undefined). */
const targets = [...policies.datasets.values()].flatMap((ds) => {
  const byClass = new Map<string, string>();
  for (const c of ds.columnNames) if (!byClass.has(ds.columns[c].classification)) byClass.set(ds.columns[c].classification, c);
  return [undefined, ...byClass.values()].map((column) => ({ domain: ds.domain, dataset: ds.name, column, classification: column ? ds.columns[column].classification : 'all' }));
});
const roles = Object.keys(policies.roles);
const cases = roles.flatMap((role) => ACTIONS.flatMap((action) => targets.map((t) => ({ role, action, ...t }))));

describe.each(BACKENDS)('explain on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));

  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' } });
    // One subject per role, granted on sales and hr (global roles on "*"); marketing stays ungranted.
    for (const role of roles) {
      const domains = policies.roles[role].scope === 'global' ? ['*'] : ['sales', 'hr'];
      for (const domain of domains) {
        const r = await gw.http().post('/v1/grants').set(as('root')).send({ subject: `x_${role}`, role, domain, reason: 'explain matrix' });
        expect(r.status).toBe(201);
      }
    }
  });
  afterAll(() => gw.close());

  it.each(cases)('$role $action $domain $dataset $classification', async ({ role, action, domain, dataset, column }) => {
    const subject = `x_${role}`;
    const q = new URLSearchParams({ subject, action, domain, dataset, ...(column && { columns: column }) });
    const ex = await gw.http().get(`/v1/explain?${q}`).set(as('root'));
    expect(ex.status).toBe(200);

    const t = as(subject);
    const url = `/v1/datasets/${domain}/${dataset}/rows`;
    const ds = policies.datasets.get(`${domain}.${dataset}`)!;
    const value = column ? SAMPLE[ds.columns[column].type] : undefined;
    const real =
      action === 'read'
        ? await gw.http().get(`${url}?limit=1${column ? `&select=${column}` : ''}`).set(t)
        : action === 'insert'
          ? await gw.http().post(url).set(t).send({ rows: [column ? { [column]: value } : {}] })
          : await gw.http().patch(`${url}?${ds.primaryKey}=eq.-424242`).set(t).send({ set: column ? { [column]: value } : { [ds.columnNames.find((c) => c !== ds.primaryKey)!]: null } });

    const realAllowed = real.status !== 403;
    expect({ decision: ex.body.decision, code: ex.body.code }).toEqual({ decision: realAllowed ? 'allow' : 'deny', code: realAllowed ? undefined : real.body.code });
    if (!realAllowed) expect(ex.body.missing).toBe(real.body.missing);
    if (action === 'read' && column && realAllowed && real.body.rows.length) {
      const v = Array.isArray(real.body.rows[0]) ? real.body.rows[0][0] : real.body.rows[0][column];
      expect(v).toBeDefined();
      const masked = String(v).startsWith('tok_');
      expect(ex.body.columns[0].decision).toBe(masked ? 'masked' : 'shown');
    }
  });

  it('names the grant and the policy rule behind a decision', async () => {
    const r = await gw.http().get('/v1/explain?subject=x_analyst&action=read&domain=sales&dataset=customers&columns=email,name').set(as('root'));
    expect(r.body.decision).toBe('allow');
    const email = r.body.columns.find((c: { name: string }) => c.name === 'email');
    expect(email).toMatchObject({ classification: 'pii', decision: 'masked', rule: { role: 'analyst', mask: true, classifications: ['pii'] } });
    expect(r.body.grants.map((g: { role: string }) => g.role)).toEqual(['analyst']);
    const hr = await gw.http().get('/v1/explain?subject=x_analyst&action=read&domain=hr&dataset=employees&columns=salary').set(as('root'));
    expect(hr.body).toMatchObject({ decision: 'deny', code: 'column_denied', columns: [{ name: 'salary', decision: 'denied', rule: null }] });
  });

  it('admins explain any domain, stewards their own only, others not at all; bad input is a 400', async () => {
    expect((await gw.http().get('/v1/explain?subject=alice&action=read&domain=hr&dataset=employees').set(as('carol'))).status).toBe(200);
    expect((await gw.http().get('/v1/explain?subject=alice&action=read&domain=sales&dataset=orders').set(as('carol'))).status).toBe(403);
    for (const who of ['alice', 'bob', 'erin']) expect((await gw.http().get('/v1/explain?subject=alice&action=read&domain=sales&dataset=orders').set(as(who))).status).toBe(403);
    expect((await gw.http().get('/v1/explain?subject=alice&action=drop&domain=sales&dataset=orders').set(as('dana'))).body.code).toBe('bad_request');
    expect((await gw.http().get('/v1/explain?subject=alice&action=read&domain=sales&dataset=nope').set(as('dana'))).body.code).toBe('dataset_not_found');
    expect((await gw.http().get('/v1/explain?subject=alice&action=read&domain=sales&dataset=orders&columns=nope').set(as('dana'))).body.code).toBe('unknown_column');
    expect((await gw.http().get('/v1/explain?action=read&domain=sales&dataset=orders').set(as('dana'))).status).toBe(400);
  });

  it('explains a suspension as the real request meets it', async () => {
    await gw.http().post('/v1/subjects/x_analyst/suspend').set(as('root')).send({ reason: 'test' }).expect(200);
    const r = await gw.http().get('/v1/explain?subject=x_analyst&action=read&domain=sales&dataset=orders').set(as('root'));
    expect(r.body).toMatchObject({ decision: 'deny', code: 'subject_suspended' });
    expect((await gw.http().get('/v1/datasets/sales/orders/rows').set(as('x_analyst'))).body.code).toBe('subject_suspended');
    await gw.http().post('/v1/subjects/x_analyst/resume').set(as('root')).send({ reason: 'test' }).expect(200);
  });
});
