// Every demo metric, at every grain, for every role that may query it, equals an independent
// computation over the raw rows (read in the test as the domain's steward), on SQLite and PostgreSQL:
// the role's row rules apply before aggregation (an eu_analyst's revenue is EU revenue).
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

type Row = Record<string, any>;
const GRAINS = ['day', 'week', 'month', 'quarter', 'year'] as const;

/** The first day of `iso`'s bucket, computed in JS (UTC), independently of the gateway's SQL. */
export function bucket(iso: string, grain: (typeof GRAINS)[number]): string {
  const day = iso.slice(0, 10);
  const [y, m] = day.split('-').map(Number);
  switch (grain) {
    case 'day':
      return day;
    case 'week': {
      const d = new Date(`${day}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
      return d.toISOString().slice(0, 10);
    }
    case 'month':
      return `${day.slice(0, 7)}-01`;
    case 'quarter':
      return `${y}-${String(Math.floor((m - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
    case 'year':
      return `${y}-01-01`;
  }
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const div = (a: number, b: number) => (b === 0 ? null : a / b);
const paid = (rs: Row[]) => rs.filter((r) => r.status === 'paid');

/** Each demo metric, as plain JS over its dataset's rows. */
export const REFERENCE: Record<string, (rows: Row[]) => number | null> = {
  revenue: (rs) => (paid(rs).length ? sum(paid(rs).map((r) => r.amount)) : null),
  order_count: (rs) => rs.length,
  paid_order_count: (rs) => paid(rs).length,
  paying_customers: (rs) => new Set(paid(rs).map((r) => r.customer_id)).size,
  average_order_value: (rs) => (paid(rs).length ? div(sum(paid(rs).map((r) => r.amount)), paid(rs).length) : null),
  revenue_per_customer: (rs) => (paid(rs).length ? div(sum(paid(rs).map((r) => r.amount)), new Set(paid(rs).map((r) => r.customer_id)).size) : null),
  headcount: (rs) => rs.length,
  average_salary: (rs) => (rs.length ? sum(rs.map((r) => r.salary)) / rs.length : null),
  budget: (rs) => (rs.length ? sum(rs.map((r) => r.budget)) : null),
};

/** Groups rows by the given key functions and computes each metric per group, sorted by the keys. */
export function expected(rows: Row[], keys: Record<string, (r: Row) => unknown>, metrics: string[]): Row[] {
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const k = JSON.stringify(Object.values(keys).map((f) => f(r)));
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, rs]) => {
      const values = JSON.parse(k) as unknown[];
      return { ...Object.fromEntries(Object.keys(keys).map((n, i) => [n, values[i]])), ...Object.fromEntries(metrics.map((m) => [m, REFERENCE[m](rs)])) };
    });
}

export function expectSameRows(actual: Row[], wanted: Row[]): void {
  expect(actual.length).toBe(wanted.length);
  actual.forEach((row, i) => {
    for (const [k, v] of Object.entries(wanted[i])) {
      if (typeof v === 'number') expect(row[k]).toBeCloseTo(v, 6);
      else expect(row[k]).toEqual(v);
    }
    expect(Object.keys(row).sort()).toEqual(Object.keys(wanted[i]).sort());
  });
}

const SALES = ['revenue', 'order_count', 'paid_order_count', 'paying_customers', 'average_order_value', 'revenue_per_customer'];

describe.each(BACKENDS)('metric values on $name', ({ pg }) => {
  let gw: TestGateway;
  let orders: Row[];
  let employees: Row[];
  let campaigns: Row[];
  const as = (s: string) => bearer(gw.token(s));
  const rowsOf = async (sub: string, path: string) => {
    const r = await gw.http().get(`/v1/datasets/${path}/rows?limit=10000`).set(as(sub));
    expect(r.status).toBe(200);
    return r.body.rows as Row[];
  };
  const query = async (sub: string, q: string) => {
    const r = await gw.http().get(`/v1/metrics/query?${q}`).set(as(sub));
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 200, code: undefined });
    return r.body as { columns: string[]; rows: Row[]; suppressedGroups: number };
  };

  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' } });
    for (const [subject, role, domain] of [['sally', 'steward', 'sales'], ['eve', 'eu_analyst', 'sales'], ['milo', 'manager', 'marketing']]) {
      const r = await gw.http().post('/v1/grants').set(as('root')).send({ subject, role, domain, reason: 'metrics test' });
      expect(r.status).toBe(201);
    }
    orders = await rowsOf('sally', 'sales/orders');
    employees = await rowsOf('carol', 'hr/employees');
    campaigns = await rowsOf('mia', 'marketing/campaigns');
    expect(orders).toHaveLength(1000);
  });
  afterAll(() => gw.close());

  // sally: steward; alice: analyst; eve: eu_analyst (EU rows only); max: manager.
  const ROLES = [
    { sub: 'sally', rows: (rs: Row[]) => rs },
    { sub: 'alice', rows: (rs: Row[]) => rs },
    { sub: 'eve', rows: (rs: Row[]) => rs.filter((r) => r.region === 'EU') },
    { sub: 'max', rows: (rs: Row[]) => rs },
  ];

  describe.each(ROLES)('sales as $sub', ({ sub, rows }) => {
    it('every sales metric in total', async () => {
      const got = await query(sub, `metrics=${SALES.join(',')}`);
      expect(got.columns).toEqual(SALES);
      expectSameRows(got.rows, expected(rows(orders), {}, SALES));
      expect(got.suppressedGroups).toBe(0);
    });

    it.each(GRAINS)('every sales metric by region and metric_time__%s', async (grain) => {
      const got = await query(sub, `metrics=${SALES.join(',')}&group_by=region,metric_time__${grain}`);
      expect(got.columns).toEqual(['region', `metric_time__${grain}`, ...SALES]);
      const want = expected(rows(orders), { region: (r) => r.region, [`metric_time__${grain}`]: (r) => bucket(r.created_at, grain) }, SALES);
      expectSameRows(got.rows, want);
    });

    it('filters on dimensions and metric_time bounds (start inclusive, end exclusive), ordered by a metric', async () => {
      const got = await query(sub, `metrics=revenue,order_count&group_by=metric_time__month&where=region=in.(EU,NA)&where=status=neq.pending&start=2025-03-01&end=2025-09-01&order=-revenue`);
      const inRange = rows(orders).filter((r) => ['EU', 'NA'].includes(r.region) && r.status !== 'pending' && r.created_at >= '2025-03-01' && r.created_at < '2025-09-01');
      const want = expected(inRange, { metric_time__month: (r) => bucket(r.created_at, 'month') }, ['revenue', 'order_count']).sort((a, b) => (b.revenue ?? -Infinity) - (a.revenue ?? -Infinity));
      expectSameRows(got.rows, want);
      expect(got.rows).toHaveLength(6);
    });
  });

  it('an eu_analyst sees EU groups only: its revenue is EU revenue', async () => {
    const got = await query('eve', 'metrics=revenue&group_by=region');
    expect(got.rows.map((r) => r.region)).toEqual(['EU']);
    expect(got.rows[0].revenue).toBeCloseTo(REFERENCE.revenue(orders.filter((r) => r.region === 'EU'))!, 6);
  });

  it.each(['max', 'carol'])('hr metrics as %s: headcount and average salary by department', async (sub) => {
    const got = await query(sub, 'metrics=headcount,average_salary&group_by=department');
    expectSameRows(got.rows, expected(employees, { department: (r) => r.department }, ['headcount', 'average_salary']));
    const total = await query(sub, 'metrics=headcount,average_salary');
    expectSameRows(total.rows, expected(employees, {}, ['headcount', 'average_salary']));
  });

  it.each([...GRAINS])('marketing budget by channel and metric_time__%s (a date column), as a manager and the steward', async (grain) => {
    for (const sub of ['milo', 'mia']) {
      const got = await query(sub, `metrics=budget&group_by=channel,metric_time__${grain}`);
      expectSameRows(got.rows, expected(campaigns, { channel: (r) => r.channel, [`metric_time__${grain}`]: (r) => bucket(r.start_date, grain) }, ['budget']));
    }
  });

  it('answers CSV through Accept: text/csv, with the suppressed groups in a header', async () => {
    const r = await gw.http().get('/v1/metrics/query?metrics=revenue,order_count&group_by=region&order=region').set(as('max')).set('Accept', 'text/csv');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/csv/);
    expect(r.headers['meshguard-suppressed-groups']).toBe('0');
    const lines = r.text.trim().split('\r\n');
    expect(lines[0]).toBe('region,revenue,order_count');
    const want = expected(orders, { region: (x) => x.region }, ['revenue', 'order_count']);
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(want.map((w) => w.region));
    lines.slice(1).forEach((l, i) => {
      expect(Number(l.split(',')[1])).toBeCloseTo(want[i].revenue, 6);
      expect(Number(l.split(',')[2])).toBe(want[i].order_count);
    });
  });
});
