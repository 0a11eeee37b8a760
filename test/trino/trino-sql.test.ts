// The Trino SQL meshguard writes: literals that stay literals whatever the policy value (a property),
// and row filters and column masks that select exactly what the gateway itself serves the subject.
// The expressions use only standard SQL here, so the test runs them on the store itself and compares
// the rows and values with the gateway's own answer to the same subject.
import fc from 'fast-check';
import { GatewayError } from '../../src/errors';
import { trinoLiteral, trinoString } from '../../src/trino/trino-sql';
import { editPolicy } from '../helpers/policy-copy';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const TOKEN = 'trino-test-token-0123456789abcdef0123456789';
const NAMES = ['id', 'name', 'email', 'region', 'segment'];

describe('Trino literals', () => {
  it('a string literal is one literal whatever the text: its quotes doubled, nothing else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const lit = trinoString(s);
        expect(lit.startsWith("'") && lit.endsWith("'")).toBe(true);
        const inner = lit.slice(1, -1);
        expect(inner.replace(/''/g, '')).not.toContain("'");
        expect(inner.replace(/''/g, "'")).toBe(s);
      }),
    );
  });

  it('each column type has its typed literal; a value that is not of the type is refused', () => {
    expect(trinoLiteral('n', 'integer', 42)).toBe('42');
    expect(trinoLiteral('n', 'decimal', -1.5)).toBe('-1.5');
    expect(trinoLiteral('n', 'decimal', 1e21)).toBe("CAST('1e+21' AS DOUBLE)");
    expect(trinoLiteral('b', 'boolean', true)).toBe('TRUE');
    expect(trinoLiteral('d', 'date', '2024-02-29')).toBe("DATE '2024-02-29'");
    expect(trinoLiteral('t', 'timestamp', '2024-02-29T10:00:00+02:00')).toBe("from_iso8601_timestamp('2024-02-29T08:00:00.000Z')");
    expect(trinoLiteral('s', 'text', "O'Brien")).toBe("'O''Brien'");
    expect(trinoLiteral('s', 'text', null)).toBe('NULL');
    expect(() => trinoLiteral('d', 'date', "2024-01-01' OR 1=1")).toThrow(GatewayError);
    expect(() => trinoLiteral('n', 'integer', '1 OR 1=1')).toThrow(GatewayError);
  });
});

describe.each(BACKENDS)('Trino row filters and masks select what the gateway serves, on $name', ({ pg }) => {
  let gw: TestGateway;
  const opa = (path: string, action: Record<string, unknown>) =>
    gw.http().post(`/v1/trino/${path}`).set({ Authorization: `Bearer ${TOKEN}` }).send({ input: { context: { identity: { user: 'pat', groups: [] }, softwareStack: { trinoVersion: '476' } }, action } });

  beforeAll(async () => {
    gw = await startTestGateway({
      pg,
      env: { MESHGUARD_TRINO_TOKEN: TOKEN },
      // A role with an $in list holding a quote, a column clear only on some rows and a `cannot` rule.
      policies: (dir) =>
        editPolicy(dir, 'roles.yaml', (doc) => {
          doc.roles.probe = {
            scope: 'domain',
            maxGrantDays: 30,
            rules: [
              { actions: ['read'], datasets: ['customers'], columns: ['id', 'name', 'region', 'segment'], rows: { region: { $in: ['EU', "NA' OR '1'='1"] } } },
              { actions: ['read'], datasets: ['customers'], columns: ['email'], rows: { region: 'EU' } },
              { actions: ['read'], datasets: ['customers'], inverted: true, rows: { segment: 'enterprise' } },
            ],
          };
        }),
    });
    const g = await gw.http().post('/v1/grants').set(bearer(gw.token('dana'))).send({ subject: 'pat', role: 'probe', domain: 'sales', reason: 'trino sql test' });
    expect(g.status).toBe(201);
  }, 60_000);
  afterAll(() => gw.close());

  it('the row filter and the email mask, run on the store, give the rows and values the gateway gives', async () => {
    const filters = await opa('row-filters', { operation: 'GetRowFilters', resource: { table: { catalogName: 'mesh', schemaName: 'sales', tableName: 'customers' } } });
    expect(filters.body.result).toHaveLength(1);
    const where = filters.body.result[0].expression as string;
    // One disjunct per distinct rule predicate (the email rule's rows are a subset, kept as written).
    expect(where).toBe(`(("region" IN ('EU', 'NA'' OR ''1''=''1')) AND (NOT ("segment" = 'enterprise'))) OR (("region" = 'EU') AND (NOT ("segment" = 'enterprise')))`);
    const cols = NAMES.map((columnName) => ({ column: { catalogName: 'mesh', schemaName: 'sales', tableName: 'customers', columnName, columnType: columnName === 'id' ? 'bigint' : 'varchar' } }));
    const masks = await opa('column-masks', { operation: 'GetColumnMask', filterResources: cols });
    // A column clear on only some of the visible rows is NULL on the others (id and name: wherever only
    // the email rule would show the row, which is none here, but the rules are not compared for inclusion).
    const byColumn = new Map<string, string>((masks.body.result as { index: number; viewExpression: { expression: string } }[]).map((m) => [NAMES[m.index], m.viewExpression.expression]));
    expect(byColumn.get('email')).toBe(`CASE WHEN ("region" = 'EU') AND (NOT ("segment" = 'enterprise')) THEN "email" END`);

    // What Trino would run: the expressions meshguard wrote are the thing under test, so they run as written.
    const store = gw.deps.stores.get('sales')!.knex;
    const select = NAMES.map((c) => (byColumn.has(c) ? store.raw(`${byColumn.get(c)} as ??`, [c]) : c));
    const viaTrino = await store('customers').select(select).whereRaw(where).orderBy('id');
    const viaGateway = await gw.http().get(`/v1/datasets/sales/customers/rows?select=${NAMES.join(',')}&order=id.asc&limit=10000`).set(bearer(gw.token('pat')));
    expect(viaGateway.status).toBe(200);
    expect(viaTrino.length).toBeGreaterThan(0);
    const same = (r: Record<string, unknown>) => Object.fromEntries(NAMES.map((c) => [c, r[c] === undefined || r[c] === null ? null : c === 'id' ? Number(r[c]) : r[c]]));
    // Rows a `cannot` rule takes every column of are not in the gateway's answer either (no row of
    // nothing but nulls, whose number would show): both give exactly the same rows.
    expect(viaGateway.body.rows.every((r: Record<string, unknown>) => NAMES.some((c) => r[c] !== null))).toBe(true);
    expect(viaTrino.map(same)).toEqual(viaGateway.body.rows.map(same));
  });
});
