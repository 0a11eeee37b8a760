// The Delta Sharing protocol (delta-io/delta-sharing PROTOCOL.md) as a recipient sees it, on a real
// listener: every endpoint's fields, headers and NDJSON framing, pagination, the error JSON; a table
// read through its file URL and read back with hyparquet holds exactly the share's columns and rows,
// masked as declared; a revoked recipient's issued URL, an expired profile and a deleted share are
// refused; jsonPredicateHints narrow the file but never what is shared; every request is audited.
import type http from 'node:http';
import type * as Hyparquet from 'hyparquet' with { 'resolution-mode': 'import' };
import { customers, orders } from '../../seeds/demo-data';
import { snapshotCounts, takeSnapshot } from '../../src/sharing/snapshot';
import { BACKENDS, bearer, listen, startTestGateway, TestClock, type TestGateway } from '../helpers/test-gateway';

const { parquetMetadata, parquetReadObjects } = require('hyparquet') as typeof Hyparquet;
type Row = Record<string, unknown>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

const DAY = 86_400_000;

describe.each(BACKENDS)('Delta Sharing protocol on $name', ({ pg }) => {
  let gw: TestGateway;
  let server: http.Server;
  let base: string;
  const clock = new TestClock();
  const profiles: Record<string, { endpoint: string; bearerToken: string }> = {};
  const as = (sub: string) => bearer(gw.token(sub));

  const call = (path: string, token: string | undefined, init: RequestInit = {}): Promise<JsonResponse> =>
    fetch(`${base}/delta-sharing${path}`, { ...init, headers: { ...(token && { Authorization: `Bearer ${token}` }), ...(init.headers as Record<string, string>) } });
  const query = (token: string, table: string, body: unknown = {}) =>
    call(`/shares/eu_orders/schemas/sales/tables/${table}/query`, token, { method: 'POST', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(body) });
  const ndjson = async (res: JsonResponse) => (await res.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const auditOf = async (requestId: string | null) => gw.deps.state.knex('mg_audit').where({ request_id: requestId! }).orderBy('id');
  const readParquet = async (bytes: ArrayBuffer) => ({ meta: parquetMetadata(bytes), rows: (await parquetReadObjects({ file: bytes })) as Row[] });

  async function recipient(share: string, name: string, by: string, expiresAt = new Date(clock.now().getTime() + 30 * DAY)) {
    const res = await gw.http().post(`/v1/shares/${share}/recipients`).set(as(by)).send({ name, expiresAt: expiresAt.toISOString(), reason: 'test partner' });
    expect(res.status).toBe(201);
    profiles[name] = res.body;
    return res.body.bearerToken as string;
  }

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock });
    ({ server } = await listen(gw.app));
    const port = (server.address() as { port: number }).port;
    base = `http://127.0.0.1:${port}`;
    const shares = [
      { by: 'dana', body: { name: 'eu_orders', domain: 'sales', tables: [{ dataset: 'orders', columns: ['id', 'region', 'amount', 'created_at'], rows: { region: 'eq.EU', amount: 'gt.100' } }, { dataset: 'customers', alias: 'clients' }], reason: 'partner' } },
      { by: 'carol', body: { name: 'hr_share', domain: 'hr', tables: [{ dataset: 'employees', rows: { department: 'in.(finance,people)' } }, { dataset: 'employees', alias: 'contacts', columns: ['id', 'email'], clear: ['email'] }], reason: 'payroll' } },
    ];
    for (const s of shares) expect((await gw.http().post('/v1/shares').set(as(s.by)).send(s.body)).status).toBe(201);
    await recipient('eu_orders', 'acme', 'dana');
    await recipient('eu_orders', 'globex', 'dana');
    await recipient('hr_share', 'payroll_co', 'carol');
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await gw?.close();
  });

  it('list shares, get share, list schemas, list tables and all tables: the fields of PROTOCOL.md', async () => {
    const t = profiles.acme.bearerToken;
    expect(profiles.acme.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/delta-sharing$/);
    let res = await call('/shares', t);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const shareId = (await gw.deps.shares.byName('eu_orders'))!.id;
    expect(await res.json()).toEqual({ items: [{ name: 'eu_orders', id: shareId }] });
    res = await call('/shares/EU_Orders', t); // names are case-insensitive
    expect(await res.json()).toEqual({ share: { name: 'eu_orders', id: shareId } });
    expect(await (await call('/shares/eu_orders/schemas', t)).json()).toEqual({ items: [{ name: 'sales', share: 'eu_orders' }] });
    const tables = await (await call('/shares/eu_orders/schemas/sales/tables', t)).json();
    expect(tables.items).toEqual([
      { name: 'orders', schema: 'sales', share: 'eu_orders', shareId, id: expect.any(String) },
      { name: 'clients', schema: 'sales', share: 'eu_orders', shareId, id: expect.any(String) },
    ]);
    expect(tables.nextPageToken).toBeUndefined();
    expect(await (await call('/shares/eu_orders/all-tables', t)).json()).toEqual(tables);
  });

  it('pagination: maxResults and pageToken walk the list; 0 returns no items but a token', async () => {
    const t = profiles.acme.bearerToken;
    const first = await (await call('/shares/eu_orders/all-tables?maxResults=1', t)).json();
    expect(first.items.map((i: Row) => i.name)).toEqual(['orders']);
    expect(typeof first.nextPageToken).toBe('string');
    const second = await (await call(`/shares/eu_orders/all-tables?maxResults=1&pageToken=${encodeURIComponent(first.nextPageToken)}`, t)).json();
    expect(second.items.map((i: Row) => i.name)).toEqual(['clients']);
    expect(second.nextPageToken).toBeUndefined();
    const zero = await (await call('/shares/eu_orders/schemas/sales/tables?maxResults=0', t)).json();
    expect(zero.items).toEqual([]);
    expect(typeof zero.nextPageToken).toBe('string');
    for (const bad of ['maxResults=-1', 'maxResults=x', 'pageToken=forged', 'maxResults=1&maxResults=2', 'other=1']) {
      const res = await call(`/shares/eu_orders/all-tables?${bad}`, t);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(Object.keys(await res.json()).sort()).toEqual(['code', 'errorCode', 'message']);
    }
  });

  it('errors are the protocol JSON with its status codes: 401, 404, 400', async () => {
    const t = profiles.acme.bearerToken;
    const cases: [string, string | undefined, number, string][] = [
      ['/shares', undefined, 401, 'UNAUTHENTICATED'],
      ['/shares', 'mgs_' + 'A'.repeat(43), 401, 'UNAUTHENTICATED'],
      ['/shares', gw.token('dana'), 401, 'UNAUTHENTICATED'], // a JWT is no recipient token
      ['/shares/hr_share', t, 404, 'RESOURCE_DOES_NOT_EXIST'], // another share
      ['/shares/eu_orders/schemas/hr/tables', t, 404, 'RESOURCE_DOES_NOT_EXIST'],
      ['/shares/eu_orders/schemas/sales/tables/nope/metadata', t, 404, 'RESOURCE_DOES_NOT_EXIST'],
      ['/nowhere', t, 404, 'RESOURCE_DOES_NOT_EXIST'],
    ];
    for (const [path, token, status, errorCode] of cases) {
      const res = await call(path, token);
      expect([path, res.status]).toEqual([path, status]);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const body = await res.json();
      expect(body).toMatchObject({ errorCode, message: expect.any(String) });
      if (status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
    }
    const malformed = await call('/shares/eu_orders/schemas/sales/tables/orders/query', t, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"limitHint":' });
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((await query(t, 'orders', { startingVersion: 0 })).status).toBe(400);
    expect((await query(t, 'orders', { version: 999 })).status).toBe(400);
    // the recipient reaches no other route
    expect((await fetch(`${base}/v1/datasets/sales/orders/rows`, { headers: { Authorization: `Bearer ${t}` } })).status).toBe(401);
  });

  it('version (GET and HEAD) and metadata: headers, NDJSON framing, the Spark schema of the shared columns', async () => {
    const t = profiles.acme.bearerToken;
    const v = await call('/shares/eu_orders/schemas/sales/tables/orders/version', t);
    expect(v.status).toBe(200);
    expect(v.headers.get('delta-table-version')).toBe('0');
    expect(await v.text()).toBe('');
    const head = await call('/shares/eu_orders/schemas/sales/tables/orders/version', t, { method: 'HEAD' });
    expect([head.status, head.headers.get('delta-table-version')]).toEqual([200, '0']);
    const m = await call('/shares/eu_orders/schemas/sales/tables/orders/metadata', t);
    expect(m.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(m.headers.get('delta-table-version')).toBe('0');
    const lines = await ndjson(m);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({ protocol: { minReaderVersion: 1 } });
    expect(lines[1].metaData).toMatchObject({ id: expect.any(String), format: { provider: 'parquet' }, partitionColumns: [] });
    expect(JSON.parse(lines[1].metaData.schemaString)).toEqual({
      type: 'struct',
      fields: [
        { name: 'id', type: 'long', nullable: true, metadata: {} },
        { name: 'region', type: 'string', nullable: true, metadata: {} },
        { name: 'amount', type: 'double', nullable: true, metadata: {} },
        { name: 'created_at', type: 'timestamp', nullable: true, metadata: {} },
      ],
    });
    const clients = await ndjson(await call('/shares/eu_orders/schemas/sales/tables/clients/metadata', t));
    expect(JSON.parse(clients[1].metaData.schemaString).fields.map((f: Row) => `${f.name}:${f.type}`)).toEqual(['id:long', 'name:string', 'email:string', 'region:string', 'segment:string']);
  });

  it('a recipient reads a table: the Parquet file holds exactly the shared columns and rows', async () => {
    const t = profiles.acme.bearerToken;
    const res = await query(t, 'orders', { predicateHints: ['amount > 0'], limitHint: 5 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers.get('delta-table-version')).toBe('0');
    const lines = await ndjson(res);
    expect(lines.map((l) => Object.keys(l)[0])).toEqual(['protocol', 'metaData', 'file']);
    const file = lines[2].file;
    expect(file).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{64}$/), partitionValues: {}, size: expect.any(Number) });
    expect(file.url.startsWith(`${base}/delta-sharing/files/`)).toBe(true);
    expect(file.expirationTimestamp).toBeGreaterThan(clock.now().getTime());
    expect(file.expirationTimestamp).toBeLessThanOrEqual(clock.now().getTime() + 15 * 60_000);
    const got = await fetch(file.url);
    expect(got.status).toBe(200);
    const bytes = await got.arrayBuffer();
    expect(bytes.byteLength).toBe(file.size);
    const { meta, rows } = await readParquet(bytes);
    expect(meta.schema.slice(1).map((e) => e.name)).toEqual(['id', 'region', 'amount', 'created_at']);
    const expected = orders().filter((o) => o.region === 'EU' && (o.amount as number) > 100);
    expect(expected.length).toBeGreaterThan(10);
    expect(JSON.parse(file.stats)).toEqual({ numRecords: expected.length });
    expect(rows.map((r) => ({ id: Number(r.id), region: r.region, amount: r.amount, created_at: new Date(Number(r.created_at)).toISOString() }))).toEqual(
      expected.map((o) => ({ id: o.id, region: o.region, amount: o.amount, created_at: o.created_at })),
    );
    // the same content is the same file id, and the same version
    const again = await ndjson(await query(t, 'orders'));
    expect(again[2].file.id).toBe(file.id);
  });

  it('pii is masked with the gateway masker unless the steward cleared it; confidential never appears', async () => {
    const t = profiles.payroll_co.bearerToken;
    const read = async (table: string) => {
      const lines = await ndjson(await call(`/shares/hr_share/schemas/hr/tables/${table}/query`, t, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }));
      return readParquet(await (await fetch(lines[2].file.url)).arrayBuffer());
    };
    const employees = await gw.deps.stores.get('hr')!.knex('employees').orderBy('id');
    const staff = await read('employees');
    expect(staff.meta.schema.slice(1).map((e) => e.name)).toEqual(['id', 'name', 'email', 'department']);
    const wanted = employees.filter((e: Row) => ['finance', 'people'].includes(e.department as string));
    expect(staff.rows.map((r) => [Number(r.id), r.name, r.email, r.department])).toEqual(wanted.map((e: Row) => [Number(e.id), e.name, gw.deps.mask(e.email), e.department]));
    const contacts = await read('contacts');
    expect(contacts.rows.map((r) => [Number(r.id), r.email])).toEqual(employees.map((e: Row) => [Number(e.id), e.email]));
    const all = JSON.stringify([staff.rows, contacts.rows], (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
    expect(all).not.toContain('salary');
    for (const e of employees.slice(0, 20)) expect(all).not.toContain(`:${e.salary},`);
    const clients = await ndjson(await query(profiles.acme.bearerToken, 'clients'));
    const c = await readParquet(await (await fetch(clients[2].file.url)).arrayBuffer());
    expect(c.rows.map((r) => r.email)).toEqual(customers().map((x) => gw.deps.mask(x.email)));
  });

  it('jsonPredicateHints narrow the file when they can; an unusable hint is skipped, never an error', async () => {
    const t = profiles.acme.bearerToken;
    const hint = JSON.stringify({ op: 'and', children: [{ op: 'lessThan', children: [{ op: 'column', name: 'id', valueType: 'int' }, { op: 'literal', value: '300', valueType: 'int' }] }, { op: 'not', children: [{ op: 'isNull', children: [{ op: 'column', name: 'amount', valueType: 'double' }] }] }] });
    const lines = await ndjson(await query(t, 'orders', { jsonPredicateHints: hint }));
    const { rows } = await readParquet(await (await fetch(lines[2].file.url)).arrayBuffer());
    expect(rows.map((r) => Number(r.id))).toEqual(orders().filter((o) => o.region === 'EU' && (o.amount as number) > 100 && (o.id as number) < 300).map((o) => o.id));
    expect(rows.length).toBeGreaterThan(0);
    // a hint on a masked column, on an unshared column, or that does not parse: the whole table
    const whole = orders().filter((o) => o.region === 'EU' && (o.amount as number) > 100).length;
    for (const h of ['{not json', JSON.stringify({ op: 'equal', children: [{ op: 'column', name: 'status', valueType: 'string' }, { op: 'literal', value: 'paid', valueType: 'string' }] })]) {
      const l = await ndjson(await query(t, 'orders', { jsonPredicateHints: h }));
      expect(JSON.parse(l[2].file.stats).numRecords).toBe(whole);
    }
    const masked = JSON.stringify({ op: 'equal', children: [{ op: 'column', name: 'email', valueType: 'string' }, { op: 'literal', value: 'x', valueType: 'string' }] });
    const l = await ndjson(await query(t, 'clients', { jsonPredicateHints: masked }));
    expect(JSON.parse(l[2].file.stats).numRecords).toBe(customers().length);
  });

  it('a change of the governed rows is the next version', async () => {
    const t = profiles.acme.bearerToken;
    const knex = gw.deps.stores.get('sales')!.knex;
    await knex('orders').insert({ id: 900001, customer_id: 1, region: 'EU', amount: 500, status: 'paid', created_at: '2025-06-01T00:00:00.000Z' });
    try {
      const lines = await ndjson(await query(t, 'orders'));
      expect(lines.length).toBe(3);
      const v = await call('/shares/eu_orders/schemas/sales/tables/orders/version', t);
      expect(v.headers.get('delta-table-version')).toBe('1');
    } finally {
      await knex('orders').where({ id: 900001 }).delete();
    }
  });

  it('requests that arrive while a snapshot is being taken share it; one that arrives after takes a new one', async () => {
    const share = (await gw.deps.shares.byName('eu_orders'))!;
    const table = share.tables[0];
    const ds = gw.deps.policies.datasets.get(`${share.domain}.${table.dataset}`)!;
    const before = { ...snapshotCounts };
    const [a, b, c] = await Promise.all([takeSnapshot(gw.deps, share, table, ds), takeSnapshot(gw.deps, share, table, ds), takeSnapshot(gw.deps, share, table, ds)]);
    expect(snapshotCounts.taken - before.taken).toBe(1);
    expect(snapshotCounts.shared - before.shared).toBe(2);
    expect(b).toBe(a);
    expect(c).toBe(a);
    // Another table of the share is another snapshot, and so is the next request once this one is done.
    const other = await Promise.all([takeSnapshot(gw.deps, share, share.tables[1], gw.deps.policies.datasets.get(`${share.domain}.${share.tables[1].dataset}`)!), takeSnapshot(gw.deps, share, table, ds)]);
    expect(other[1]).not.toBe(a);
    expect(snapshotCounts.taken - before.taken).toBe(3);
    // Over HTTP, concurrent version requests all answer, each audited.
    const t = profiles.acme.bearerToken;
    const answers = await Promise.all(Array.from({ length: 6 }, () => call('/shares/eu_orders/schemas/sales/tables/orders/version', t)));
    const version = String(a.table.version);
    expect(answers.map((r) => [r.status, r.headers.get('delta-table-version')])).toEqual(Array(6).fill([200, version]));
    for (const r of answers) expect(await auditOf(r.headers.get('x-request-id'))).toHaveLength(1);
  });

  it("a recipient's requests write nothing to the state store each: their use is batched, written before a listing", async () => {
    const t = profiles.globex.bearerToken;
    const lastUse = async () => (await gw.deps.state.knex('mg_share_recipients').where({ name: 'globex' }).first('last_used_at')).last_used_at;
    await gw.deps.recipientUsage.flush();
    const before = await lastUse();
    clock.advance(1000);
    for (let i = 0; i < 3; i++) expect((await call('/shares', t)).status).toBe(200);
    expect(await lastUse()).toEqual(before);
    const listed = await gw.http().get('/v1/shares/eu_orders').set(as('dana'));
    expect(Date.parse(listed.body.recipients.find((r: Row) => r.name === 'globex').lastUsedAt)).toBe(clock.now().getTime());
    expect(Number(await lastUse())).toBe(clock.now().getTime());
  });

  it('every recipient request is audited: the recipient as subject, share:<name> as resource', async () => {
    const t = profiles.acme.bearerToken;
    const ok = await call('/shares/eu_orders/all-tables', t);
    expect(await auditOf(ok.headers.get('x-request-id'))).toEqual([expect.objectContaining({ subject: 'recipient:acme', resource: 'share:eu_orders', action: 'share_list_all_tables', decision: 'allow', status: 200 })]);
    const q = await query(t, 'orders');
    const [entry] = await auditOf(q.headers.get('x-request-id'));
    expect(entry).toMatchObject({ subject: 'recipient:acme', resource: 'share:eu_orders', action: 'share_query', decision: 'allow' });
    const url = (await ndjson(q))[2].file.url;
    const dl = await fetch(url);
    expect(await auditOf(dl.headers.get('x-request-id'))).toEqual([expect.objectContaining({ subject: 'recipient:acme', resource: 'share:eu_orders', action: 'share_download', decision: 'allow' })]);
    const refused = await call('/shares/hr_share', t);
    expect(await auditOf(refused.headers.get('x-request-id'))).toEqual([expect.objectContaining({ subject: 'recipient:acme', resource: 'share:eu_orders', decision: 'deny', status: 404 })]);
    const anon = await call('/shares', undefined);
    expect(await auditOf(anon.headers.get('x-request-id'))).toEqual([expect.objectContaining({ subject: null, decision: 'deny', status: 401 })]);
    const listed = await gw.http().get('/v1/shares/eu_orders').set(as('dana'));
    expect(listed.body.recipients.find((r: Row) => r.name === 'acme').lastUsedAt).not.toBeNull();
    expect(listed.body.lastUsedAt).not.toBeNull();
  });

  it('a tampered or expired file URL is refused', async () => {
    const url: string = (await ndjson(await query(profiles.acme.bearerToken, 'orders')))[2].file.url;
    const tampered = url.slice(0, -2) + (url.endsWith('AA') ? 'BB' : 'AA');
    expect((await fetch(tampered)).status).toBe(403);
    clock.advance(16 * 60_000);
    const late = await fetch(url);
    expect(late.status).toBe(403);
    expect(((await late.json()) as Row).errorCode).toBe('PERMISSION_DENIED');
  });

  it("a revoked recipient's next request and its already-issued file URL are refused; others keep working", async () => {
    const t = profiles.globex.bearerToken;
    const url: string = (await ndjson(await query(t, 'orders')))[2].file.url;
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
    expect((await gw.http().delete('/v1/shares/eu_orders/recipients/globex?reason=contract%20ended').set(as('dana'))).status).toBe(204);
    const after = await fetch(url);
    expect(after.status).toBe(401);
    const body = (await after.json()) as Row;
    expect(body).toMatchObject({ errorCode: 'UNAUTHENTICATED', code: 'token_revoked' });
    expect(await auditOf(after.headers.get('x-request-id'))).toEqual([expect.objectContaining({ subject: 'recipient:globex', resource: 'share:eu_orders', decision: 'deny', status: 401 })]);
    expect((await call('/shares', t)).status).toBe(401);
    expect((await call('/shares', profiles.acme.bearerToken)).status).toBe(200);
  });

  it('an expired profile is refused', async () => {
    const t = await recipient('eu_orders', 'shortlived', 'dana', new Date(clock.now().getTime() + 60_000));
    expect((await call('/shares', t)).status).toBe(200);
    const url: string = (await ndjson(await query(t, 'orders')))[2].file.url;
    clock.advance(61_000);
    const res = await call('/shares', t);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ errorCode: 'UNAUTHENTICATED', code: 'token_expired' });
    expect((await fetch(url)).status).toBe(401);
  });

  it('deleting a share refuses its recipients on their next request, issued file URLs included', async () => {
    const t = profiles.payroll_co.bearerToken;
    const url: string = (await ndjson(await call('/shares/hr_share/schemas/hr/tables/contacts/query', t, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })))[2].file.url;
    expect((await gw.http().delete('/v1/shares/hr_share?reason=ended').set(as('carol'))).status).toBe(204);
    const res = await call('/shares', t);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ errorCode: 'PERMISSION_DENIED', code: 'share_deleted' });
    expect((await fetch(url)).status).toBe(403);
  });
});
