// Aggregate-only access: a manager reads metrics, never rows; minGroupSize at its boundary (k-1, k);
// dimensions over masked or denied columns refused for grouping and filtering; unknown names 400;
// another domain's metric 403 with `missing`; every query audited; explain answers read_metrics.
import knexFactory from 'knex';
import { buildMetricQuery } from '../../src/metrics/metric-statement';
import { planMetrics } from '../../src/metrics/plan-metrics';
import { buildAbility } from '../../src/policy/build-ability';
import { loadPolicies } from '../../src/policy/load-policies';
import { editPolicy, usePolicyCopy } from '../helpers/policy-copy';
import { BACKENDS, bearer, POLICIES, startTestGateway, type TestGateway } from '../helpers/test-gateway';

/** Test-only dimensions over a confidential (salary) and a personal (email) column of hr.employees. */
const withSensitiveDimensions = (dir: string) =>
  editPolicy(dir, 'metrics/hr.yaml', (doc) => {
    doc.semantic_models[0].dimensions.push({ name: 'salary', type: 'categorical' }, { name: 'email', type: 'categorical' });
  });

describe.each(BACKENDS)('metric governance on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));
  const get = (sub: string, url: string) => gw.http().get(url).set(as(sub));

  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' }, policies: withSensitiveDimensions });
    // Two small departments, written by the hr steward: 4 employees (k-1) and 5 (k).
    const rows = [
      ...Array.from({ length: 4 }, (_, i) => ({ id: 1001 + i, name: `L${i}`, department: 'legal', salary: 100000 + i })),
      ...Array.from({ length: 5 }, (_, i) => ({ id: 2001 + i, name: `A${i}`, department: 'audit', salary: 70000 + i * 1000 })),
    ];
    const w = await gw.http().post('/v1/datasets/hr/employees/rows').set(as('carol')).send({ rows });
    expect(w.status).toBe(201);
  });
  afterAll(() => gw.close());

  it("a manager's row read is 403, its metric query is 200", async () => {
    for (const path of ['hr/employees', 'sales/orders']) {
      const r = await get('max', `/v1/datasets/${path}/rows`);
      expect({ status: r.status, code: r.body.code, missing: r.body.missing }).toEqual({ status: 403, code: 'forbidden', missing: `read ${path.replace('/', '.')}` });
    }
    expect((await get('max', '/v1/metrics/query?metrics=headcount')).status).toBe(200);
  });

  it('minGroupSize 5: a group of 4 rows is left out and counted, a group of 5 is shown', async () => {
    const r = await get('max', '/v1/metrics/query?metrics=headcount,average_salary&group_by=department');
    expect(r.status).toBe(200);
    const depts = r.body.rows.map((x: { department: string }) => x.department);
    expect(depts).toContain('audit');
    expect(depts).not.toContain('legal');
    expect(r.body.suppressedGroups).toBe(1);
    expect(r.body.rows.find((x: { department: string }) => x.department === 'audit')).toEqual({ department: 'audit', headcount: 5, average_salary: 72000 });
    // Narrowing with a filter does not get under k either: the answer is empty, the group counted.
    const narrow = await get('max', '/v1/metrics/query?metrics=average_salary&where=department=eq.legal');
    expect(narrow.body).toEqual({ columns: ['average_salary'], rows: [], suppressedGroups: 1 });
    const csv = await get('max', '/v1/metrics/query?metrics=headcount&where=department=eq.legal&format=csv');
    expect(csv.headers['meshguard-suppressed-groups']).toBe('1');
    expect(csv.text).toBe('headcount\r\n');
    // The steward has no minimum: both groups.
    const steward = await get('carol', '/v1/metrics/query?metrics=headcount&group_by=department&where=department=in.(legal,audit)');
    expect(steward.body.rows).toEqual([{ department: 'audit', headcount: 5 }, { department: 'legal', headcount: 4 }]);
    expect(steward.body.suppressedGroups).toBe(0);
  });

  it('grouping or filtering by a masked (aggregate-only) or denied column is refused as for rows', async () => {
    const cases: [string, string, string][] = [
      ['group_by=salary', 'column_masked', 'read_metrics hr.employees.salary unmasked'],
      ['where=salary=gt.100000', 'column_masked', 'read_metrics hr.employees.salary unmasked'],
      ['group_by=email', 'column_denied', 'read_metrics hr.employees.email'],
      ['where=email=like.*a*', 'column_denied', 'read_metrics hr.employees.email'],
    ];
    for (const [q, code, missing] of cases) {
      const r = await get('max', `/v1/metrics/query?metrics=headcount&${q}`);
      expect({ q, status: r.status, code: r.body.code, missing: r.body.missing }).toEqual({ q, status: 403, code, missing });
    }
    // The steward reads both in clear, so may group by them.
    expect((await get('carol', '/v1/metrics/query?metrics=headcount&group_by=email&limit=1')).status).toBe(200);
  });

  it('unknown metric or dimension: 400 naming it; a metric of a domain held nothing on: 403 with missing', async () => {
    const m = await get('max', '/v1/metrics/query?metrics=revenue,profit');
    expect({ status: m.status, code: m.body.code, metric: m.body.metric }).toEqual({ status: 400, code: 'unknown_metric', metric: 'profit' });
    const d = await get('max', '/v1/metrics/query?metrics=revenue&group_by=planet');
    expect({ status: d.status, code: d.body.code, dimension: d.body.dimension }).toEqual({ status: 400, code: 'unknown_dimension', dimension: 'planet' });
    const g = await get('max', '/v1/metrics/query?metrics=revenue&group_by=region__month');
    expect(g.body.code).toBe('unknown_dimension');
    const proto = await get('max', '/v1/metrics/query?metrics=__proto__&group_by=constructor');
    expect(proto.body.code).toBe('unknown_metric');
    const other = await get('max', '/v1/metrics/query?metrics=budget');
    expect({ status: other.status, code: other.body.code, missing: other.body.missing }).toEqual({ status: 403, code: 'forbidden', missing: 'read_metrics marketing.campaigns' });
    const none = await get('erin', '/v1/metrics/query?metrics=headcount');
    expect({ status: none.status, missing: none.body.missing }).toEqual({ status: 403, missing: 'read_metrics hr.employees' });
    const param = await get('max', '/v1/metrics/query?metrics=headcount&select=salary');
    expect(param.body.code).toBe('unknown_parameter');
    const arrow = await get('max', '/v1/metrics/query?metrics=headcount&format=arrow');
    expect(arrow.status).toBe(406);
  });

  it('GET /v1/metrics lists only the metrics the caller may query, with dimensions and time grains', async () => {
    const r = await get('max', '/v1/metrics');
    expect(r.status).toBe(200);
    const names = r.body.metrics.map((m: { name: string }) => m.name).sort();
    expect(names).toEqual(['average_order_value', 'average_salary', 'headcount', 'order_count', 'paid_order_count', 'paying_customers', 'revenue', 'revenue_per_customer']);
    const revenue = r.body.metrics.find((m: { name: string }) => m.name === 'revenue');
    expect(revenue).toMatchObject({ label: 'Revenue', domain: 'sales', metricTime: { dimension: 'created_at', timeGrains: ['day', 'week', 'month', 'quarter', 'year'] } });
    const headcount = r.body.metrics.find((m: { name: string }) => m.name === 'headcount');
    // Only the dimensions the manager may group by (not salary, not email).
    expect(headcount.dimensions.map((d: { name: string }) => d.name)).toEqual(['department']);
    expect(headcount.minGroupSize).toBe(5);
    expect((await get('erin', '/v1/metrics')).body.metrics).toEqual([]);
  });

  it('every metric query is audited: metrics, group_by, filter fingerprint (no values), groups returned and suppressed', async () => {
    const q = await get('max', '/v1/metrics/query?metrics=headcount&group_by=department&where=department=neq.secret-dept');
    expect(q.status).toBe(200);
    const id = q.headers['x-request-id'];
    const refused = await get('max', '/v1/metrics/query?metrics=headcount&group_by=salary');
    const audit = await get('erin', '/v1/audit?subject=max&limit=20');
    const entry = audit.body.entries.find((e: { requestId: string }) => e.requestId === id);
    expect(entry).toMatchObject({ action: 'read_metrics', resource: 'hr.employees', decision: 'allow', rowCount: q.body.rows.length });
    expect(entry.details).toMatchObject({ metrics: ['headcount'], groupBy: ['department'], minGroupSize: 5, groups: q.body.rows.length, suppressedGroups: 1 });
    expect(entry.fingerprint).toBe('metrics=headcount&group_by=department&where=department=neq.?');
    expect(JSON.stringify(entry)).not.toContain('secret-dept');
    const denied = audit.body.entries.find((e: { requestId: string }) => e.requestId === refused.headers['x-request-id']);
    expect(denied).toMatchObject({ action: 'read_metrics', decision: 'deny', status: 403 });
  });

  it('GET /v1/explain answers action=read_metrics', async () => {
    const r = await get('dana', '/v1/explain?subject=max&action=read_metrics&domain=hr&dataset=employees');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ decision: 'allow', minGroupSize: 5 });
    const by = Object.fromEntries(r.body.columns.map((c: { name: string; decision: string }) => [c.name, c.decision]));
    expect(by).toEqual({ id: 'shown', name: 'shown', email: 'denied', department: 'shown', salary: 'aggregated' });
    const other = await get('dana', '/v1/explain?subject=max&action=read_metrics&domain=marketing&dataset=campaigns');
    expect(other.body).toMatchObject({ decision: 'deny', code: 'forbidden', missing: 'read_metrics marketing.campaigns' });
    const real = await get('max', '/v1/metrics/query?metrics=budget');
    expect(real.body.missing).toBe(other.body.missing);
  });
});

describe('the metric statement', () => {
  const policies = loadPolicies(POLICIES);
  const grant = (role: string, domain: string) => ({ id: `g-${role}`, subject: 's', role, domain, reason: 'r', createdBy: 'x', createdAt: '', expiresAt: null, revokedAt: null, revokedBy: null, revokeReason: null, lastUsedAt: null, lastWriteAt: null });

  it.each(['sqlite', 'postgres'] as const)('is ONE statement with GROUP BY and the row rules in it (%s)', (dialect) => {
    const ability = buildAbility(policies, [grant('eu_analyst', 'sales')]);
    const plan = planMetrics(ability, policies.metrics, { metrics: ['revenue', 'average_order_value'], groupBy: ['metric_time__month'], where: [], order: [], limit: 100 }, () => dialect);
    const knex = knexFactory({ client: dialect === 'sqlite' ? 'better-sqlite3' : 'pg', useNullAsDefault: true });
    const { sql, bindings } = buildMetricQuery(knex, plan).toSQL().toNative();
    expect(sql.split(';')).toHaveLength(1);
    expect(sql).toMatch(/group by/i);
    expect(bindings).toContain('EU');
    expect(bindings).toContain('paid');
  });

  it('refuses min and max over an aggregate-only column (they would show one row)', () => {
    const p = loadPolicies(POLICIES);
    const ability = buildAbility(p, [grant('manager', 'hr')]);
    const hr = p.metrics.models.employees;
    const withMax = { ...p.metrics, metrics: { ...p.metrics.metrics, top_salary: { ...p.metrics.metrics.average_salary, name: 'top_salary', node: { kind: 'measure' as const, measure: { ...hr.measures.salary_average, agg: 'max' as const }, filters: [] } } } };
    expect(() => planMetrics(ability, withMax, { metrics: ['top_salary'], groupBy: [], where: [], order: [], limit: 1 }, () => 'sqlite')).toThrow(/would show one row's value/);
  });
});

describe('metric definitions are validated at start-up, errors naming the file and path', () => {
  const policies = usePolicyCopy('mg-metrics-');
  it.each([
    [(d: any) => (d.semantic_models[0].measures[0].expr = 'amount; drop table orders'), /^policy metrics\/sales.yaml at semantic_models.0.measures.0.expr: unexpected character/],
    [(d: any) => (d.semantic_models[0].model = 'hr.employees'), /^policy metrics\/sales.yaml at semantic_models.0.model: hr.employees belongs to domain hr/],
    [(d: any) => (d.semantic_models[0].dimensions[0].name = 'planet'), /^policy metrics\/sales.yaml at semantic_models.0.dimensions.0.expr: dataset sales.orders has no column planet/],
    [(d: any) => (d.metrics[0].type_params.measure = 'ghost'), /^policy metrics\/sales.yaml at metrics.0.type_params.measure: unknown measure ghost/],
    [(d: any) => (d.metrics[0].filter = "status = 'paid'"), /^policy metrics\/sales.yaml at metrics.0.filter: cannot read the condition/],
    [(d: any) => (d.metrics[0].type = 'ratio'), /^policy metrics\/sales.yaml at metrics.0.type_params.numerator: a ratio metric needs/],
    [(d: any) => (d.metrics[0].type_params = { measure: 'order_amount', expr: 'x' }), /^policy metrics\/sales.yaml at metrics.0.type_params.expr: a simple metric does not take/],
    [(d: any) => (d.metrics[5].type_params.expr = 'revenue / nobody'), /^policy metrics\/sales.yaml at metrics.5.type_params.expr: nobody is not one of/],
  ])('%#', (change, message) => {
    policies.edit('metrics/sales.yaml', change);
    expect(policies.loadError()).toMatch(message);
  });

  it('read_metrics options only on read_metrics rules', () => {
    policies.edit('roles.yaml', (d) => (d.roles.analyst.rules[0].minGroupSize = 3));
    expect(policies.loadError()).toMatch(/^policy roles.yaml at roles.analyst.rules.0.minGroupSize: only read_metrics rules take minGroupSize/);
  });
});
