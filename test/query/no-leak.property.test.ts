// Property: whatever select, filters and order a non-steward sends, no confidential value and no
// unmasked pii value ever comes back, and no input produces a 500.
import fc from 'fast-check';
import { bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const DATASETS = {
  'sales/customers': { columns: ['id', 'name', 'email', 'region', 'segment'], pii: ['email'], confidential: [] as string[] },
  'hr/employees': { columns: ['id', 'name', 'email', 'department', 'salary'], pii: ['email'], confidential: ['salary'] },
};
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is', 'not.eq', 'not.in', 'not.is'];
const VALUES = ['1', '50', 'EU', 'a*', '*@*', 'null', '(1,2,3)', '(EU,NA)', 'true', '', '%', "'; drop table x; --", '(a,"b,c")', '999999999999'];

describe('no query leaks a denied or unmasked value to a non-steward', () => {
  let gw: TestGateway;
  let secrets: Set<string>;
  const tokens: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    gw = await startTestGateway();
    const dana = bearer(gw.token('dana'));
    for (const [subject, role, domain] of [['hal', 'analyst', 'hr'], ['sid', 'scientist', 'hr'], ['eve', 'eu_analyst', 'sales']]) {
      expect((await gw.http().post('/v1/grants').set(dana).send({ subject, role, domain, reason: 'property test' })).status).toBe(201);
    }
    for (const s of ['alice', 'bob', 'hal', 'sid', 'eve']) tokens[s] = bearer(gw.token(s));
    const emails = [
      ...(await gw.deps.stores.get('sales')!.knex('customers').pluck('email')),
      ...(await gw.deps.stores.get('hr')!.knex('employees').pluck('email')),
    ];
    secrets = new Set(emails.map(String));
  });
  afterAll(() => gw.close());

  const query = fc.record({
    subject: fc.constantFrom('alice', 'bob', 'hal', 'sid', 'eve'),
    dataset: fc.constantFrom(...(Object.keys(DATASETS) as (keyof typeof DATASETS)[])),
    select: fc.option(fc.subarray(['id', 'name', 'email', 'region', 'segment', 'department', 'salary', 'bogus'], { minLength: 1 })),
    filters: fc.array(fc.tuple(fc.constantFrom('id', 'name', 'email', 'region', 'department', 'salary', 'segment'), fc.constantFrom(...OPS), fc.constantFrom(...VALUES)), { maxLength: 3 }),
    order: fc.option(fc.constantFrom('id.desc', 'email.asc', 'salary.desc', 'name.asc,id.desc')),
    limit: fc.option(fc.integer({ min: 0, max: 300 })),
  });

  it('holds for random selects, filters and orders', async () => {
    await fc.assert(
      fc.asyncProperty(query, async (q) => {
        const params = new URLSearchParams();
        if (q.select) params.set('select', q.select.join(','));
        for (const [c, op, v] of q.filters) params.append(c, `${op}.${v}`);
        if (q.order) params.set('order', q.order);
        if (q.limit !== null) params.set('limit', String(q.limit));
        const r = await gw.http().get(`/v1/datasets/${q.dataset}/rows?${params}`).set(tokens[q.subject]);
        expect([200, 400, 403, 404]).toContain(r.status);
        if (r.status !== 200) {
          expect(r.headers['content-type']).toMatch(/application\/problem\+json/);
          expect(r.text).not.toMatch(/\n\s+at /);
          return;
        }
        const def = DATASETS[q.dataset];
        for (const row of r.body.rows as Record<string, unknown>[]) {
          for (const c of def.confidential) expect(row).not.toHaveProperty(c);
          for (const c of def.pii) if (row[c] !== undefined && row[c] !== null) expect(String(row[c])).toMatch(/^tok_/);
          for (const v of Object.values(row)) expect(secrets.has(String(v))).toBe(false);
        }
        expect(r.body.columns).not.toContain('salary');
      }),
      { numRuns: 300 },
    );
  });
});
