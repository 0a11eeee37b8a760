// Every bulk format answers exactly the rows of the JSON answer, for every kind of caller (issue 12):
// an analyst (email masked), a steward (everything in clear), an eu_analyst granted through the API
// (EU rows only), a marketing steward (dates and timestamps). Arrow and Parquet are read back with
// independent readers and their types checked; CSV with a strict RFC 4180 parser. Every backend.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';
import { arrowToRows, asBytes, csvToRows, ndjsonToRows, parquetToRows, type Row, type Types } from './read-formats';

const CASES: { who: string; path: string; check?: (rows: Row[]) => void }[] = [
  { who: 'alice', path: 'sales/customers', check: (rows) => expect(rows.every((r) => String(r.email).startsWith('tok_'))).toBe(true) },
  { who: 'alice', path: 'sales/orders' },
  { who: 'carol', path: 'hr/employees', check: (rows) => expect(rows.every((r) => String(r.email).includes('@') && typeof r.salary === 'number')).toBe(true) },
  { who: 'eve', path: 'sales/customers', check: (rows) => expect(rows.every((r) => r.region === 'EU' && String(r.email).startsWith('tok_'))).toBe(true) },
  { who: 'eve', path: 'sales/orders', check: (rows) => expect(rows.every((r) => r.region === 'EU')).toBe(true) },
  { who: 'mia', path: 'marketing/campaigns' },
  { who: 'mia', path: 'marketing/bids' },
];

describe.each(BACKENDS)('answer formats by role on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    const g = await gw.http().post('/v1/grants').set(as('dana')).send({ subject: 'eve', role: 'eu_analyst', domain: 'sales', reason: 'formats test' });
    expect(g.status).toBe(201);
  });
  afterAll(() => gw.close());

  /** The declared types of the answer's columns, as the caller sees them (masked -> text tokens). */
  function typesOf(path: string, json: { columns: string[]; rows: Row[] }): Types {
    const ds = gw.deps.policies.datasets.get(path.replace('/', '.'))!;
    return Object.fromEntries(
      json.columns.map((c) => [c, json.rows.some((r) => typeof r[c] === 'string' && String(r[c]).startsWith('tok_')) && ds.columns[c].type !== 'text' ? 'masked' : ds.columns[c].type]),
    );
  }

  it.each(CASES)('$who reads $path: CSV, NDJSON, Arrow and Parquet hold exactly the JSON rows', async ({ who, path, check }) => {
    const url = `/v1/datasets/${path}/rows`;
    const json = await gw.http().get(`${url}?limit=10000`).set(as(who));
    expect(json.status).toBe(200);
    expect(json.body.rows.length).toBeGreaterThan(0);
    const expected: Row[] = json.body.rows;
    check?.(expected);
    const types = typesOf(path, json.body);
    const masked = new Set(Object.keys(types).filter((c) => expected.some((r) => String(r[c]).startsWith('tok_'))));
    const get = (accept: string) => gw.http().get(url).set(as(who)).set('Accept', accept).buffer(true).parse(asBytes);

    const csv = await get('text/csv');
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    const fromCsv = csvToRows((csv.body as Buffer).toString('utf8'), Object.fromEntries(Object.entries(types).map(([c, t]) => [c, masked.has(c) ? 'text' : t])));
    expect(fromCsv.header).toEqual(json.body.columns);
    expect(fromCsv.rows).toEqual(expected);

    const nd = await get('application/x-ndjson');
    expect(nd.status).toBe(200);
    expect(nd.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(ndjsonToRows((nd.body as Buffer).toString('utf8'))).toEqual(expected);

    const arrow = await get('application/vnd.apache.arrow.stream');
    expect(arrow.status).toBe(200);
    expect(arrow.headers['content-type']).toBe('application/vnd.apache.arrow.stream');
    const a = arrowToRows(arrow.body as Buffer, types);
    expect(a.schema).toEqual(a.expected);
    expect(a.rows).toEqual(expected);

    const parquet = await get('application/vnd.apache.parquet');
    expect(parquet.status).toBe(200);
    expect(parquet.headers['content-type']).toBe('application/vnd.apache.parquet');
    expect(parquet.headers['content-disposition']).toBe(`attachment; filename="${path.replace('/', '.')}.parquet"`);
    const p = await parquetToRows(parquet.body as Buffer, types);
    expect(p.schema).toEqual(p.expected);
    expect(p.rows).toEqual(expected);
  });
});
