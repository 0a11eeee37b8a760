// Trino's OPA access-control plugin against the real gateway, on each backend. Trino cannot run here,
// so the request bodies are shaped exactly as the plugin sends them and the answers checked against
// what it parses. Shapes quoted from trinodb/trino, plugin/trino-opa/src/main/java/io/trino/plugin/opa/:
//   schema/OpaQuery.java + OpaQueryInput.java: {"input": {"context", "action"}}
//   schema/OpaQueryContext.java, TrinoIdentity.java, OpaPluginContext.java: context {identity {user, groups}, softwareStack {trinoVersion}, queryId}
//   schema/OpaQueryInputAction.java: action {operation, resource | filterResources, targetResource, grantee}
//   schema/OpaQueryInputResource.java, TrinoSchema.java, TrinoTable.java, TrinoColumn.java: the resources
//   schema/OpaQueryResult.java {"result": bool}; OpaBatchQueryResult.java {"result": [index]};
//   OpaRowFiltersQueryResult.java {"result": [{expression, identity?}]};
//   OpaBatchColumnMaskQueryResult.java {"result": [{index, viewExpression: {expression, identity?}}]}
//   OpaAccessControl.java / OpaBatchAccessControl.java / OpaHighLevelClient.java: which operation sends which resource
// and the docs' examples (docs/src/main/sphinx/security/opa-access-control.md).
import { loadConfig } from '../../src/config';
import { entriesFor } from '../audit/support/audit-rows';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const TOKEN = 'trino-test-token-0123456789abcdef0123456789';
const trino = { Authorization: `Bearer ${TOKEN}` };
const QUERY_ID = '20250718_081710_03427_trino';

type Resource = Record<string, unknown>;
/** OpaQuery as Jackson writes it: the context's optional members present (queryId) and extra ones Trino may add. */
const body = (user: string, action: Record<string, unknown>) => ({
  input: {
    context: { identity: { user, groups: ['some-group'], extraCredentials: {} }, softwareStack: { trinoVersion: '476' }, properties: {}, queryId: QUERY_ID },
    action,
  },
});
const catalog = (name: string): Resource => ({ catalog: { name } });
const schema = (schemaName: string, catalogName = 'mesh'): Resource => ({ schema: { catalogName, schemaName } });
const table = (schemaName: string, tableName: string, columns?: string[], catalogName = 'mesh'): Resource => ({ table: { catalogName, schemaName, tableName, ...(columns && { columns }) } });
const column = (schemaName: string, tableName: string, columnName: string, columnType: string): Resource => ({
  column: { catalogName: 'mesh', schemaName, tableName, columnName, columnType },
});
const EMPLOYEES = ['id', 'name', 'email', 'department', 'salary'];

describe.each(BACKENDS)("Trino's OPA plugin contract, on $name", ({ pg }) => {
  let gw: TestGateway;
  const dana = () => bearer(gw.token('dana'));
  const grant = async (subject: string, role: string, domain: string): Promise<string> => {
    const g = await gw.http().post('/v1/grants').set(dana()).send({ subject, role, domain, reason: 'trino test' });
    expect(g.status).toBe(201);
    return g.body.id;
  };
  const post = (path: string, user: string, action: Record<string, unknown>) => gw.http().post(`/v1/trino/${path}`).set(trino).send(body(user, action));
  /** The allow endpoint's answer: exactly {"result": true|false}. */
  async function allow(user: string, operation: string, resource?: Resource, more: Record<string, unknown> = {}): Promise<boolean> {
    const res = await post('allow', user, { operation, ...(resource && { resource }), ...more });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['result']);
    expect(typeof res.body.result).toBe('boolean');
    return res.body.result;
  }
  async function batch(user: string, operation: string, filterResources: Resource[]): Promise<number[]> {
    const res = await post('batch', user, { operation, filterResources });
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['result']);
    return res.body.result;
  }

  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_TRINO_TOKEN: TOKEN } });
    // alice: analyst on sales (demo seed); bob: scientist on sales (demo seed)
    await grant('eve', 'eu_analyst', 'sales');
    await grant('hana', 'analyst', 'hr');
    await grant('sid', 'scientist', 'hr');
  }, 60_000);
  afterAll(() => gw.close());

  it('ExecuteQuery (no resource): allowed to a subject with data access, denied to one without', async () => {
    expect(await allow('alice', 'ExecuteQuery')).toBe(true);
    expect(await allow('dana', 'ExecuteQuery')).toBe(false); // admin: manages grants, reads no data
    expect(await allow('nobody-known', 'ExecuteQuery')).toBe(false);
  });

  it('AccessCatalog and ShowSchemas: the mesh catalog only', async () => {
    expect(await allow('alice', 'AccessCatalog', catalog('mesh'))).toBe(true);
    expect(await allow('alice', 'AccessCatalog', catalog('system'))).toBe(false);
    expect(await allow('alice', 'ShowSchemas', catalog('mesh'))).toBe(true);
    expect(await allow('dana', 'ShowSchemas', catalog('mesh'))).toBe(false);
  });

  it('FilterCatalogs (batched): the index of mesh only', async () => {
    expect(await batch('alice', 'FilterCatalogs', [catalog('system'), catalog('mesh'), catalog('tpch')])).toEqual([1]);
    expect(await batch('nobody-known', 'FilterCatalogs', [catalog('mesh')])).toEqual([]);
  });

  it("FilterSchemas (batched) and ShowTables: the subject's domains, and the catalog's information_schema", async () => {
    const schemas = [schema('sales'), schema('hr'), schema('marketing'), schema('information_schema'), schema('sales', 'other')];
    expect(await batch('alice', 'FilterSchemas', schemas)).toEqual([0, 3]);
    expect(await batch('hana', 'FilterSchemas', schemas)).toEqual([1, 3]);
    expect(await allow('alice', 'ShowTables', schema('sales'))).toBe(true);
    expect(await allow('alice', 'ShowTables', schema('hr'))).toBe(false);
  });

  it('FilterTables (batched): datasets the subject may use; unknown tables and other catalogs never', async () => {
    const tables = [table('sales', 'orders'), table('sales', 'customers'), table('hr', 'employees'), table('sales', 'nope'), table('sales', 'orders', undefined, 'other'), table('__proto__', 'constructor')];
    expect(await batch('alice', 'FilterTables', tables)).toEqual([0, 1]);
    expect(await batch('eve', 'FilterTables', tables)).toEqual([0, 1]);
    expect(await batch('hana', 'FilterTables', tables)).toEqual([2]);
  });

  it('FilterColumns (batched as one table, indexes of its columns): a confidential column is removed, a masked one kept', async () => {
    expect(await batch('hana', 'FilterColumns', [table('hr', 'employees', EMPLOYEES)])).toEqual([0, 1, 2, 3]);
    expect(await batch('carol', 'FilterColumns', [table('hr', 'employees', EMPLOYEES)])).toEqual([0, 1, 2, 3, 4]);
    expect(await batch('alice', 'FilterColumns', [table('hr', 'employees', EMPLOYEES)])).toEqual([]);
    // Not batched: one column per request to the allow endpoint (OpaAccessControl.filterColumns).
    expect(await allow('hana', 'FilterColumns', table('hr', 'employees', ['salary']))).toBe(false);
    expect(await allow('hana', 'FilterColumns', table('hr', 'employees', ['email']))).toBe(true);
  });

  it('SelectFromColumns: every column readable (clear or masked), else denied', async () => {
    expect(await allow('hana', 'SelectFromColumns', table('hr', 'employees', ['id', 'email']))).toBe(true);
    expect(await allow('hana', 'SelectFromColumns', table('hr', 'employees', ['id', 'salary']))).toBe(false);
    expect(await allow('hana', 'SelectFromColumns', table('hr', 'employees', ['id', 'no_such_column']))).toBe(false);
    expect(await allow('hana', 'SelectFromColumns', table('hr', 'employees', []))).toBe(true); // count(*)
    expect(await allow('alice', 'SelectFromColumns', table('hr', 'employees', ['id']))).toBe(false);
    expect(await allow('eve', 'SelectFromColumns', table('sales', 'customers', ['id', 'email', 'region']))).toBe(true);
    expect(await allow('eve', 'SelectFromColumns', table('marketing', 'campaigns', ['id']))).toBe(false);
  });

  it('InsertIntoTable: every column insertable; UpdateTableColumns: each updated column', async () => {
    expect(await allow('bob', 'InsertIntoTable', table('sales', 'orders'))).toBe(true);
    expect(await allow('alice', 'InsertIntoTable', table('sales', 'orders'))).toBe(false);
    // A scientist may not write the confidential salary: Trino names no columns on insert, so no insert.
    expect(await allow('sid', 'InsertIntoTable', table('hr', 'employees'))).toBe(false);
    expect(await allow('bob', 'UpdateTableColumns', table('sales', 'orders', ['amount', 'status']))).toBe(true);
    expect(await allow('sid', 'UpdateTableColumns', table('hr', 'employees', ['department']))).toBe(true);
    expect(await allow('sid', 'UpdateTableColumns', table('hr', 'employees', ['department', 'salary']))).toBe(false);
    expect(await allow('alice', 'UpdateTableColumns', table('sales', 'orders', ['amount']))).toBe(false);
  });

  it('DeleteFromTable, CreateTable, DropTable, other writes and unknown operations: denied to everyone', async () => {
    for (const user of ['bob', 'carol', 'dana']) {
      expect(await allow(user, 'DeleteFromTable', table('sales', 'orders'))).toBe(false);
      expect(await allow(user, 'TruncateTable', table('sales', 'orders'))).toBe(false);
      expect(await allow(user, 'CreateTable', table('sales', 'orders2'), {})).toBe(false);
      expect(await allow(user, 'DropTable', table('hr', 'employees'))).toBe(false);
      expect(await allow(user, 'RenameTable', table('sales', 'orders'), { targetResource: table('sales', 'orders_old') })).toBe(false);
      expect(await allow(user, 'CreateSchema', schema('sales'))).toBe(false);
      expect(await allow(user, 'FrobnicateTable', table('sales', 'orders'))).toBe(false);
    }
    expect(await allow('alice', 'SetSystemSessionProperty', { systemSessionProperty: { name: 'query_max_run_time' } })).toBe(false);
  });

  it("row filters: an eu_analyst's rows are EU rows; an analyst's are all rows; unknown tables none", async () => {
    const rowFilters = async (user: string, t: Resource) => {
      const res = await post('row-filters', user, { operation: 'GetRowFilters', resource: t });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['result']);
      return res.body.result;
    };
    expect(await rowFilters('eve', table('sales', 'customers'))).toEqual([{ expression: `"region" = 'EU'` }]);
    expect(await rowFilters('eve', table('sales', 'orders'))).toEqual([{ expression: `"region" = 'EU'` }]);
    expect(await rowFilters('alice', table('sales', 'customers'))).toEqual([]);
    expect(await rowFilters('alice', table('hr', 'employees'))).toEqual([{ expression: 'false' }]);
    expect(await rowFilters('alice', table('sales', 'nope'))).toEqual([{ expression: 'false' }]);
    expect(await rowFilters('alice', table('information_schema', 'tables'))).toEqual([]);
  });

  it('column masks (batched): a pii column is NULL of its type, never its value; clear columns unmasked', async () => {
    const customers = [column('sales', 'customers', 'id', 'bigint'), column('sales', 'customers', 'name', 'varchar'), column('sales', 'customers', 'email', 'varchar(255)'), column('sales', 'customers', 'region', 'varchar'), column('sales', 'customers', 'segment', 'varchar')];
    const masks = async (user: string, filterResources: Resource[]) => {
      const res = await post('column-masks', user, { operation: 'GetColumnMask', filterResources });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['result']);
      return res.body.result;
    };
    expect(await masks('alice', customers)).toEqual([{ index: 2, viewExpression: { expression: 'CAST(NULL AS varchar(255))' } }]);
    expect(await masks('eve', customers)).toEqual([{ index: 2, viewExpression: { expression: 'CAST(NULL AS varchar(255))' } }]);
    const employees = EMPLOYEES.map((c) => column('hr', 'employees', c, c === 'salary' ? 'decimal(12,2)' : c === 'id' ? 'bigint' : 'varchar'));
    expect(await masks('hana', employees)).toEqual([
      { index: 2, viewExpression: { expression: 'CAST(NULL AS varchar)' } },
      { index: 4, viewExpression: { expression: 'CAST(NULL AS decimal(12,2))' } },
    ]);
    expect(await masks('carol', employees)).toEqual([]);
    // A type name that is not one never reaches the expression.
    expect(await masks('alice', [column('sales', 'customers', 'email', "varchar) OR (1=1")])).toEqual([{ index: 0, viewExpression: { expression: 'NULL' } }]);
  });

  it('a revoke takes effect on the next request, and so does a suspension', async () => {
    const id = await grant('rita', 'analyst', 'sales');
    const select = table('sales', 'orders', ['id', 'amount']);
    expect(await allow('rita', 'SelectFromColumns', select)).toBe(true);
    expect((await gw.http().delete(`/v1/grants/${id}?reason=leaver`).set(dana())).status).toBe(204);
    expect(await allow('rita', 'SelectFromColumns', select)).toBe(false);
    expect(await batch('rita', 'FilterTables', [table('sales', 'orders')])).toEqual([]);

    await grant('sue', 'eu_analyst', 'sales');
    expect(await allow('sue', 'SelectFromColumns', select)).toBe(true);
    expect((await gw.http().post('/v1/subjects/sue/suspend').set(dana()).send({ reason: 'investigation' })).status).toBeLessThan(300);
    const res = await post('allow', 'sue', { operation: 'SelectFromColumns', resource: select }).set('X-Request-Id', 'trino-suspended-1');
    expect(res.body).toEqual({ result: false });
    const [entry] = await entriesFor(gw, 'trino-suspended-1');
    expect(entry).toMatchObject({ subject: 'sue', decision: 'deny', action: 'trino SelectFromColumns' });
    expect(entry.reason).toMatch(/^subject_suspended/);
    const rows = await post('row-filters', 'sue', { operation: 'GetRowFilters', resource: table('sales', 'orders') });
    expect(rows.body).toEqual({ result: [{ expression: 'false' }] });
  });

  it('a missing or wrong Trino token is a 401 (audited), a JWT is not a Trino token', async () => {
    const action = { operation: 'ExecuteQuery' };
    const none = await gw.http().post('/v1/trino/allow').set('X-Request-Id', 'trino-no-token').send(body('alice', action));
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('missing_token');
    const wrong = await gw.http().post('/v1/trino/allow').set({ Authorization: `Bearer ${TOKEN}x`, 'X-Request-Id': 'trino-bad-token' }).send(body('alice', action));
    expect(wrong.status).toBe(401);
    expect(wrong.body.code).toBe('invalid_token');
    const jwt = await gw.http().post('/v1/trino/batch').set(bearer(gw.token('alice'))).send(body('alice', { operation: 'FilterCatalogs', filterResources: [catalog('mesh')] }));
    expect(jwt.status).toBe(401);
    for (const id of ['trino-no-token', 'trino-bad-token']) {
      const entries = await entriesFor(gw, id);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ decision: 'deny', status: 401, subject: null });
    }
  });

  it('a body that is not the plugin\'s is a 400 problem, audited; no 500', async () => {
    for (const bad of [{}, { input: {} }, { input: { context: { identity: {} }, action: { operation: 'ExecuteQuery' } } }, body('alice', { operation: 'Drop Table; --' }), body('alice', { operation: 'FilterTables', resource: table('sales', 'orders'), filterResources: [] })]) {
      const res = await gw.http().post('/v1/trino/allow').set(trino).send(bad);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_body');
    }
    const text = await gw.http().post('/v1/trino/allow').set(trino).set('Content-Type', 'application/json').send('{"input":');
    expect(text.status).toBe(400);
    const query = await gw.http().post('/v1/trino/allow?x=1').set(trino).send(body('alice', { operation: 'ExecuteQuery' }));
    expect(query.status).toBe(400);
  });

  it('one audit entry per request: a batch lists what it allowed and denied, with the Trino query id', async () => {
    const res = await gw.http().post('/v1/trino/batch').set(trino).set('X-Request-Id', 'trino-batch-1').send(body('hana', { operation: 'FilterColumns', filterResources: [table('hr', 'employees', EMPLOYEES)] }));
    expect(res.body).toEqual({ result: [0, 1, 2, 3] });
    const entries = await entriesFor(gw, 'trino-batch-1');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ subject: 'hana', action: 'trino FilterColumns', decision: 'allow', status: 200, resource: 'hr.employees' });
    const details = JSON.parse(entries[0].details!);
    expect(details).toMatchObject({ trino: { operation: 'FilterColumns', queryId: QUERY_ID, trinoVersion: '476' }, allowedCount: 4, deniedCount: 1, denied: ['hr.employees.salary'] });
    expect(JSON.parse(entries[0].grant_ids!)).toHaveLength(1);

    await gw.http().post('/v1/trino/column-masks').set(trino).set('X-Request-Id', 'trino-masks-1').send(body('alice', { operation: 'GetColumnMask', filterResources: [column('sales', 'customers', 'email', 'varchar')] }));
    const masks = await entriesFor(gw, 'trino-masks-1');
    expect(masks).toHaveLength(1);
    expect(masks[0]).toMatchObject({ subject: 'alice', action: 'trino GetColumnMask', resource: 'sales.customers' });
    expect(JSON.parse(masks[0].columns!)).toEqual(['email']);
  });
});

describe('without MESHGUARD_TRINO_TOKEN', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw.close());

  it('the Trino endpoints do not exist (404 to an authenticated caller, 401 to anyone else)', async () => {
    for (const path of ['allow', 'batch', 'row-filters', 'column-masks']) {
      const res = await gw.http().post(`/v1/trino/${path}`).set(bearer(gw.token('alice'))).send(body('alice', { operation: 'ExecuteQuery' }));
      expect(res.status).toBe(404);
      const anon = await gw.http().post(`/v1/trino/${path}`).set(trino).send(body('alice', { operation: 'ExecuteQuery' }));
      expect(anon.status).toBe(401);
    }
  });
});

describe('Trino configuration', () => {
  const base = { MESHGUARD_JWT_SECRET: 'x'.repeat(32) };
  it('is off by default; the catalog defaults to mesh; a short token or a bad catalog name stops start-up naming the variable', () => {
    expect(loadConfig(base, '/').trino).toBeUndefined();
    expect(loadConfig({ ...base, MESHGUARD_TRINO_TOKEN: TOKEN }, '/').trino).toEqual({ token: TOKEN, catalog: 'mesh' });
    expect(loadConfig({ ...base, MESHGUARD_TRINO_TOKEN: TOKEN, MESHGUARD_TRINO_CATALOG: 'lake' }, '/').trino).toEqual({ token: TOKEN, catalog: 'lake' });
    expect(() => loadConfig({ ...base, MESHGUARD_TRINO_TOKEN: 'short' }, '/')).toThrow(/^MESHGUARD_TRINO_TOKEN: /);
    expect(() => loadConfig({ ...base, MESHGUARD_TRINO_TOKEN: TOKEN, MESHGUARD_TRINO_CATALOG: 'Mesh"; x' }, '/')).toThrow(/^MESHGUARD_TRINO_CATALOG: /);
  });
});
