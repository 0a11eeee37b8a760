// Which format a read answers in (issue 12): Accept with q-values, wildcards and exclusions;
// format= overriding Accept; 406 not_acceptable listing what can be served; JSON by default. Every backend.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';
import { asBytes } from './read-formats';

const ORDERS = '/v1/datasets/sales/orders/rows';
const TYPES = ['application/json', 'text/csv', 'application/x-ndjson', 'application/vnd.apache.arrow.stream', 'application/vnd.apache.parquet'];

describe.each(BACKENDS)('format negotiation on $name', ({ pg }) => {
  let gw: TestGateway;
  let alice: Record<string, string>;

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    alice = bearer(gw.token('alice'));
  });
  afterAll(() => gw.close());

  const get = (query: string, accept?: string) => {
    const r = gw.http().get(`${ORDERS}?limit=3${query}`).set(alice);
    if (accept !== undefined) r.set('Accept', accept);
    return r.buffer(true).parse(asBytes);
  };
  const typeOf = (r: { headers: Record<string, string> }) => r.headers['content-type'].split(';')[0];

  it.each([
    [undefined, 'application/json'],
    ['*/*', 'application/json'],
    ['application/*', 'application/json'],
    ['text/*', 'text/csv'],
    ['text/csv', 'text/csv'],
    ['application/x-ndjson', 'application/x-ndjson'],
    ['application/vnd.apache.arrow.stream', 'application/vnd.apache.arrow.stream'],
    ['application/vnd.apache.parquet', 'application/vnd.apache.parquet'],
    ['application/json;q=0.5, text/csv;q=0.9', 'text/csv'],
    ['text/csv;q=0.1, application/x-ndjson', 'application/x-ndjson'],
    ['application/xml, text/html;q=0.9, */*;q=0.1', 'application/json'],
    ['*/*;q=0.2, application/vnd.apache.parquet;q=0.8', 'application/vnd.apache.parquet'],
    ['text/csv;q=0, */*', 'application/json'],
  ])('Accept %s answers %s', async (accept, type) => {
    const r = await get('', accept);
    expect(r.status).toBe(200);
    expect(typeOf(r)).toBe(type);
    expect(r.headers.vary).toMatch(/Accept/);
  });

  it.each([['application/xml'], ['text/html, image/*'], ['text/csv;q=0'], ['application/json;q=0, text/csv;q=0, application/x-ndjson;q=0, application/vnd.apache.arrow.stream;q=0, application/vnd.apache.parquet;q=0']])(
    'Accept %s is 406 not_acceptable with the list of types it can serve',
    async (accept) => {
      const r = await get('', accept);
      expect(r.status).toBe(406);
      expect(typeOf(r)).toBe('application/problem+json');
      const body = JSON.parse((r.body as Buffer).toString());
      expect(body).toMatchObject({ status: 406, code: 'not_acceptable', acceptable: TYPES, formats: ['json', 'csv', 'ndjson', 'arrow', 'parquet'] });
      expect(r.headers['content-disposition']).toBeUndefined();
    },
  );

  it('format= overrides Accept, either way', async () => {
    const csv = await get('&format=csv', 'application/xml');
    expect([csv.status, typeOf(csv)]).toEqual([200, 'text/csv']);
    expect((csv.body as Buffer).toString().split('\r\n')[0]).toBe('id,customer_id,region,amount,status,created_at');
    const json = await get('&format=json', 'text/csv');
    expect([json.status, typeOf(json)]).toEqual([200, 'application/json']);
    expect(JSON.parse((json.body as Buffer).toString()).rows).toHaveLength(3);
    for (const f of ['ndjson', 'arrow', 'parquet']) expect((await get(`&format=${f}`)).status).toBe(200);
  });

  it('an unknown format= is 406, a repeated one 400', async () => {
    const unknown = await get('&format=xml');
    expect(unknown.status).toBe(406);
    expect(JSON.parse((unknown.body as Buffer).toString())).toMatchObject({ code: 'not_acceptable', acceptable: TYPES });
    for (const [q, code] of [['&format=csv&format=json', 'bad_request'], ['&format[a]=csv', 'unknown_parameter']]) {
      const r = await get(q);
      expect([r.status, JSON.parse((r.body as Buffer).toString()).code]).toEqual([400, code]);
    }
    // A name that only looks like a format is not one.
    for (const f of ['__proto__', 'constructor', 'CSV', 'csv ']) expect((await get(`&format=${encodeURIComponent(f)}`)).status).toBe(406);
  });

  it('format is no filter on POST: there it stays an unknown parameter', async () => {
    const r = await gw.http().post(`${ORDERS}?format=csv`).set(bearer(gw.token('bob'))).send({ rows: [{ id: 50001, region: 'EU' }] });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('unknown_parameter');
  });
});
