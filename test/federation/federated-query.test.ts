// POST /v1/query (issue 14): one governed SELECT across domains and stores, run in an embedded DuckDB.
// On SQLite always; across SQLite (sales), PostgreSQL (marketing) and MariaDB (hr) when
// MESHGUARD_TEST_PG_URL and MESHGUARD_TEST_MYSQL_URL are set.
import { MYSQL_URL, PG_URL, bearer, startTestGateway, type StoreKind, type TestGateway } from '../helpers/test-gateway';

const SETUPS: { name: string; storeKinds: Partial<Record<'sales' | 'marketing' | 'hr', StoreKind>> }[] = [
  { name: 'sqlite everywhere', storeKinds: {} },
  ...(PG_URL && MYSQL_URL ? [{ name: 'sqlite + postgres + mariadb', storeKinds: { sales: 'sqlite', marketing: 'postgres', hr: 'mysql' } as const }] : []),
];

describe.each(SETUPS)('federated SQL on $name', ({ storeKinds }) => {
  let gw: TestGateway;
  const as = (who: string) => bearer(gw.token(who));
  const query = (who: string, sql: string, params: unknown[] = [], path = '/v1/query') => gw.http().post(path).set(as(who)).send({ sql, params });
  const rows = async (who: string, path: string) => {
    const r = await gw.http().get(`${path}${path.includes('?') ? '&' : '?'}limit=10000`).set(as(who));
    expect(r.status).toBe(200);
    return r.body.rows as Record<string, unknown>[];
  };

  beforeAll(async () => {
    gw = await startTestGateway({ storeKinds });
    // ana: an analyst on every domain; eve: an eu_analyst on sales; carol: the hr steward (demo).
    for (const [subject, role, domain] of [['ana', 'analyst', 'sales'], ['ana', 'analyst', 'marketing'], ['ana', 'analyst', 'hr'], ['eve', 'eu_analyst', 'sales'], ['carol', 'steward', 'sales']]) {
      const r = await gw.http().post('/v1/grants').set(as('dana')).send({ subject, role, domain, reason: 'test' });
      expect(r.status).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('joins orders with customers on a masked-free key, the same rows as joining the governed JSON answers', async () => {
    const r = await query('ana', 'SELECT o.id, o.amount, c.segment FROM sales.orders o JOIN sales.customers c ON o.customer_id = c.id WHERE o.amount > ? ORDER BY o.id', [100]);
    expect(r.status).toBe(200);
    const orders = await rows('ana', '/v1/datasets/sales/orders/rows?select=id,amount,customer_id&amount=gt.100');
    const customers = new Map((await rows('ana', '/v1/datasets/sales/customers/rows?select=id,segment')).map((c) => [c.id, c.segment]));
    const expected = orders.filter((o) => customers.has(o.customer_id)).map((o) => ({ id: o.id, amount: o.amount, segment: customers.get(o.customer_id) })).sort((a, b) => Number(a.id) - Number(b.id));
    expect(r.body.columns).toEqual(['id', 'amount', 'segment']);
    expect(r.body.rows).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
  });

  it('queries three stores at once, and the audit entry names every dataset', async () => {
    const sql = "SELECT (SELECT count(*) FROM sales.orders WHERE region = 'EU') AS eu_orders, (SELECT count(*) FROM marketing.campaigns) AS campaigns, (SELECT count(DISTINCT department) FROM hr.employees) AS departments";
    const r = await query('ana', sql);
    expect(r.status).toBe(200);
    const eu = await rows('ana', '/v1/datasets/sales/orders/rows?select=id&region=eq.EU');
    const campaigns = await rows('ana', '/v1/datasets/marketing/campaigns/rows?select=id');
    const departments = new Set((await rows('ana', '/v1/datasets/hr/employees/rows?select=department')).map((e) => e.department).filter((d) => d !== null));
    expect(r.body.rows).toEqual([{ eu_orders: eu.length, campaigns: campaigns.length, departments: departments.size }]);
    const audit = await gw.http().get('/v1/audit?action=query&limit=1').set(as('erin'));
    expect(audit.status).toBe(200);
    const entry = audit.body.entries?.[0] ?? audit.body.rows?.[0];
    expect(JSON.stringify(entry)).toContain('sales.orders');
    expect(JSON.stringify(entry)).toContain('marketing.campaigns');
    expect(JSON.stringify(entry)).toContain('hr.employees');
    expect(JSON.stringify(entry)).not.toContain("'EU'");
  });

  it('joins on a masked key: tokens of one value are equal, and count(distinct) works on them', async () => {
    const r = await query('ana', 'SELECT count(DISTINCT email) AS n, min(email) AS some_email FROM sales.customers');
    expect(r.status).toBe(200);
    const emails = await rows('ana', '/v1/datasets/sales/customers/rows?select=email');
    expect(r.body.rows[0].n).toBe(new Set(emails.map((e) => e.email)).size);
    expect(emails.map((e) => e.email)).toContain(r.body.rows[0].some_email);
    const self = await query('ana', 'SELECT count(*) AS n FROM sales.customers a JOIN sales.customers b ON a.email = b.email');
    expect(self.status).toBe(200);
    expect(self.body.rows[0].n).toBeGreaterThanOrEqual(emails.length);
  });

  it('an eu_analyst sees only EU rows', async () => {
    const r = await query('eve', 'SELECT DISTINCT o.region FROM sales.orders o JOIN sales.customers c ON o.customer_id = c.id');
    expect(r.status).toBe(200);
    expect(r.body.rows).toEqual([{ region: 'EU' }]);
  });

  it('refuses a denied column by name, a dataset held nothing on with missing, and an aggregate-only role', async () => {
    const denied = await query('ana', 'SELECT name, salary FROM hr.employees');
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('column_denied');
    expect(denied.body.column).toBe('salary');
    const none = await query('alice', 'SELECT * FROM marketing.campaigns');
    expect(none.status).toBe(403);
    expect(none.body.missing).toBe('read marketing.campaigns');
    const manager = await query('max', 'SELECT count(*) FROM sales.orders');
    expect(manager.status).toBe(403);
    expect(manager.body.missing).toBe('read sales.orders');
  });

  it('refuses every statement but one SELECT, and anything that reads files or URLs', async () => {
    for (const sql of [
      'DROP TABLE sales.orders',
      "INSERT INTO sales.orders (id) VALUES (1)",
      'UPDATE sales.orders SET amount = 0',
      'DELETE FROM sales.orders',
      'CREATE TABLE x (a INT)',
      "COPY sales.orders TO '/tmp/x.csv'",
      "ATTACH '/tmp/x.db' AS x",
      'INSTALL httpfs',
      'LOAD httpfs',
      'PRAGMA database_list',
      "SET memory_limit = '10GB'",
      'SELECT 1; SELECT 2',
      "SELECT * FROM read_csv('/etc/passwd')",
      "SELECT * FROM read_parquet('/tmp/x.parquet')",
      "SELECT * FROM glob('/etc/*')",
      "SELECT * FROM '/etc/passwd'",
      'SELECT * FROM duckdb_settings()',
      'SELECT * FROM information_schema.tables',
      'SELECT * FROM sales.orders o, read_text(o.status)',
    ]) {
      const r = await query('ana', sql);
      expect({ sql, status: r.status, code: r.body.code }).toEqual({ sql, status: 400, code: 'sql_not_allowed' });
      expect(r.body.refused).toBeTruthy();
    }
    const syntax = await query('ana', 'SELEC 1');
    expect(syntax.body.code).toBe('sql_syntax');
  });

  it('explains the plan: per dataset the store, the columns fetched, the comparisons pushed down and the rows fetched', async () => {
    const r = await query('ana', "SELECT o.id FROM sales.orders o JOIN marketing.campaigns c ON o.id = c.id WHERE o.region = 'EU' AND c.channel = ? AND o.amount + 1 > 3", ['email'], '/v1/query?explain=true');
    expect(r.status).toBe(200);
    const orders = r.body.datasets.find((d: { dataset: string }) => d.dataset === 'sales.orders');
    const campaigns = r.body.datasets.find((d: { dataset: string }) => d.dataset === 'marketing.campaigns');
    expect(orders.pushedDown).toEqual([{ column: 'region', op: 'eq', value: 'EU' }]);
    expect(campaigns.pushedDown).toEqual([{ column: 'channel', op: 'eq', value: 'email' }]);
    expect(orders.columns.sort()).toEqual(['amount', 'id', 'region']);
    expect(orders.rowsFetched).toBe((await rows('ana', '/v1/datasets/sales/orders/rows?select=id&region=eq.EU')).length);
    expect(r.body.sql).not.toContain('EU');
  });

  it('answers CSV by Accept', async () => {
    const r = await gw.http().post('/v1/query').set(as('ana')).set('Accept', 'text/csv').send({ sql: 'SELECT id, region FROM sales.orders ORDER BY id LIMIT 2' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/csv/);
    expect(r.text.split('\n')[0].trim()).toBe('id,region');
  });
});

describe('federated SQL limits', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ env: { MESHGUARD_QUERY_TIMEOUT: '1s', MESHGUARD_QUERY_MAX_ROWS: '5' } });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
  });
  const query = (sql: string) => gw.http().post('/v1/query').set(bearer(gw.token('alice'))).send({ sql });

  it('caps the answer', async () => {
    const r = await query('SELECT id FROM sales.orders');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('query_too_large');
    expect((await query('SELECT id FROM sales.orders LIMIT 5')).status).toBe(200);
  });

  it('stops a query past its time limit', async () => {
    const r = await query('SELECT count(*) FROM sales.orders a, sales.orders b, sales.orders c, sales.orders d, sales.orders e');
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('query_timeout');
  });
});
