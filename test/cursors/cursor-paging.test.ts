// Keyset cursors through the real gateway, on every backend: every row exactly once and in order,
// stable under concurrent inserts and updates, bound to their subject and tamper-proof, stopped by
// a revoke, and every page audited.
import { ROW_BACKENDS, bearer, startTestGateway, TestClock, type TestGateway } from '../helpers/test-gateway';

type Row = Record<string, unknown> & { id: number };
type Page = { columns: string[]; rows: Row[]; nextCursor: string | null };

describe.each(ROW_BACKENDS)('keyset cursors on $name', ({ pg, storeKinds }) => {
  let gw: TestGateway;
  const clock = new TestClock();
  const as = (s: string) => bearer(gw.token(s));
  const rows = (query: string, who = 'alice') => gw.http().get(`/v1/datasets/sales/orders/rows?${query}`).set(as(who));
  const next = (cursor: string, who: string | Record<string, string> = 'alice', dataset = 'orders') =>
    gw.http().get(`/v1/datasets/sales/${dataset}/rows?cursor=${cursor}`).set(typeof who === 'string' ? as(who) : who);
  const grant = (body: Record<string, unknown>) => gw.http().post('/v1/grants').set(as('dana')).send({ reason: 'cursor test', ...body }).expect(201);

  /** Pages from `query` to the end; the answers, page by page. */
  async function pageAll(query: string, who = 'alice', between?: (page: number) => Promise<void>): Promise<Page[]> {
    const pages: Page[] = [];
    let r = await rows(query, who);
    for (;;) {
      expect({ status: r.status, body: r.status === 200 ? 'ok' : r.body }).toEqual({ status: 200, body: 'ok' });
      pages.push(r.body);
      if (!r.body.nextCursor) return pages;
      await between?.(pages.length);
      r = await next(r.body.nextCursor, who);
    }
  }
  const ids = (pages: Page[]) => pages.flatMap((p) => p.rows.map((r) => r.id));

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock, storeKinds });
  });
  afterAll(() => gw.close());

  it('pages the 1000 orders by 100: every row exactly once, in the order of the same unpaged read', async () => {
    const pages = await pageAll('page_size=100&order=created_at.desc');
    expect(pages.map((p) => p.rows.length)).toEqual(Array(10).fill(100));
    expect(pages[9].nextCursor).toBeNull();
    const all = await rows('limit=1000&order=created_at.desc.nullsfirst').expect(200);
    expect(ids(pages)).toEqual(all.body.rows.map((r: Row) => r.id));
    expect(new Set(ids(pages)).size).toBe(1000);
    expect(pages[0].columns).toEqual(all.body.columns);
  });

  it('keeps filters, select and a desc order with ties across pages', async () => {
    const q = 'region=eq.EU&status=in.(paid,pending)&select=id,amount,status&order=status.desc,amount.desc';
    const pages = await pageAll(`page_size=37&${q}`);
    const all = (await rows(`limit=1000&${q}`).expect(200)).body.rows as Row[];
    expect(all.length).toBeGreaterThan(100);
    expect(ids(pages)).toEqual(all.map((r) => r.id));
    expect(pages.flatMap((p) => p.rows)).toEqual(all);
    expect(pages.at(-1)!.rows.length).toBeLessThanOrEqual(37);
    for (const p of pages) expect(p.columns).toEqual(['id', 'amount', 'status']);
  });

  it('orders NULLs explicitly: first descending by default, or where nullslast says', async () => {
    const body = { rows: Array.from({ length: 30 }, (_, i) => ({ id: 5000 + i, region: 'NULLS', amount: i % 3 === 0 ? null : i % 4, status: 'n' })) };
    await gw.http().post('/v1/datasets/sales/orders/rows').set(as('bob')).send(body).expect(201);
    for (const order of ['amount.desc', 'amount.desc.nullslast', 'amount.asc', 'amount.asc.nullsfirst']) {
      const got = ids(await pageAll(`page_size=4&region=eq.NULLS&order=${order}`));
      const [, dir, nulls] = order.split('.');
      const first = (nulls ?? (dir === 'asc' ? 'nullslast' : 'nullsfirst')) === 'nullsfirst';
      const key = (r: { amount: number | null; id: number }) => r.amount;
      const want = [...body.rows]
        .sort((a, b) => {
          const x = key(a);
          const y = key(b);
          if (x === y) return a.id - b.id;
          if (x === null) return first ? -1 : 1;
          if (y === null) return first ? 1 : -1;
          return dir === 'asc' ? x - y : y - x;
        })
        .map((r) => r.id);
      expect({ order, got }).toEqual({ order, got: want });
      // The unpaged read orders the same way (NULLS FIRST/LAST on every store).
      if (nulls) expect({ order, got: (await rows(`limit=100&region=eq.NULLS&order=${order}`)).body.rows.map((r: Row) => r.id) }).toEqual({ order, got: want });
    }
  });

  it('a page larger than a read batch (1000 rows) streams, and still ends with its cursor (after the NULLs test: 1030 rows)', async () => {
    const pages = await pageAll('page_size=1020&id=lte.6000&order=amount.asc');
    expect(pages.map((p) => p.rows.length)).toEqual([1020, 10]);
    const all = await rows('limit=2000&id=lte.6000&order=amount.asc.nullslast').expect(200);
    expect(ids(pages)).toEqual(all.body.rows.map((r: Row) => r.id));
  });

  it('is stable under concurrent inserts (below and above the cursor) and updates between pages', async () => {
    const seed = { rows: Array.from({ length: 300 }, (_, i) => ({ id: 10_000 + i * 10, region: 'CONC', amount: i, status: 'open' })) };
    await gw.http().post('/v1/datasets/sales/orders/rows').set(as('bob')).send(seed).expect(201);
    const before = new Set(seed.rows.map((r) => r.id));
    const gone = new Set<number>();
    let n = 0;
    for (const order of ['', '&order=amount.desc']) {
      const pages = await pageAll(`page_size=50&region=eq.CONC${order}`, 'alice', async (page) => {
        n++;
        // Inserts on both sides of the cursor, updates of columns that are not sort keys, and a
        // row that stops matching.
        const rowsNow = [10_000 + page * 10 * 50 - 5, 10_000 + page * 10 * 50 + 5, 13_500 + n].map((id) => ({ id: id + n * 100_000, region: 'CONC', amount: 1000 + n, status: 'new' }));
        await gw.http().post('/v1/datasets/sales/orders/rows').set(as('bob')).send({ rows: rowsNow }).expect(201);
        const upd = await gw.http().patch(`/v1/datasets/sales/orders/rows?region=eq.CONC&status=eq.open&amount=gte.${page * 20}&amount=lt.${page * 20 + 5}`).set(as('bob')).send({ set: { status: `seen${n}` } });
        expect([upd.status, upd.body.detail]).toEqual([200, undefined]);
        const moved = 10_000 + (page * 37 % 300) * 10;
        await gw.http().patch(`/v1/datasets/sales/orders/rows?id=eq.${moved}`).set(as('bob')).send({ set: { region: "ELSEWHERE" } }).expect(200);
        gone.add(moved);
      });
      const got = ids(pages);
      expect(new Set(got).size).toBe(got.length); // no row twice
      const missing = [...before].filter((id) => !gone.has(id) && !got.includes(id));
      expect(missing).toEqual([]); // none skipped that existed at the start and still matches
    }
  });

  it('refuses a cursor of another subject, another dataset, altered, or malformed: 400 invalid_cursor', async () => {
    const first = (await rows('page_size=10').expect(200)).body as Page;
    const c = first.nextCursor!;
    expect((await next(c)).status).toBe(200);
    await grant({ subject: 'ola', role: 'analyst', domain: 'sales' });
    const refusals: [string, string | Record<string, string>, string?][] = [
      [c, 'ola'],
      [c, 'alice', 'customers'],
      [c.slice(0, 20) + (c[20] === 'A' ? 'B' : 'A') + c.slice(21), 'alice'],
      [c.slice(0, -1) + (c.at(-1) === 'A' ? 'B' : 'A'), 'alice'],
      [c.slice(0, -4), 'alice'],
      ['not-a-cursor', 'alice'],
      [`${c}%3D`, 'alice'],
      [`${c}&cursor=${c}`, 'alice'],
    ];
    for (const [cursor, who, ds] of refusals) {
      const r = await next(cursor, who, ds);
      expect({ cursor: cursor.slice(-8), status: r.status, code: r.body.code }).toEqual({ cursor: cursor.slice(-8), status: 400, code: 'invalid_cursor' });
    }
    // The cursor carries its query: the same parameters again are fine, different ones are not.
    expect((await gw.http().get(`/v1/datasets/sales/orders/rows?page_size=10&cursor=${c}`).set(as('alice'))).status).toBe(200);
    const other = await gw.http().get(`/v1/datasets/sales/orders/rows?page_size=10&region=eq.EU&cursor=${c}`).set(as('alice'));
    expect([other.status, other.body.code]).toEqual([400, 'invalid_cursor']);
    // Opaque: the token shows neither the query nor the key.
    expect(Buffer.from(c, 'base64url').toString('latin1')).not.toMatch(/page_size|alice|orders/);
  });

  it('refuses bad paging parameters with 400', async () => {
    for (const q of ['page_size=0', 'page_size=x', 'page_size=10001', 'page_size=10&limit=5', 'page_size=10&offset=5', 'page_size=1&page_size=2', 'page_size=10&nope=eq.1']) {
      const r = await rows(q);
      expect({ q, status: r.status }).toEqual({ q, status: 400 });
    }
    expect((await rows(`page_size=10&id=in.(${Array.from({ length: 1200 }, (_, i) => i).join(',')})`)).body.detail).toMatch(/too long to page/);
  });

  it('a revoked grant stops the cursor with 403 cursor_revoked, even when another grant would allow the read', async () => {
    const g1 = (await grant({ subject: 'pat', role: 'analyst', domain: 'sales' })).body.id;
    const first = (await rows('page_size=5', 'pat').expect(200)).body as Page;
    await grant({ subject: 'pat', role: 'scientist', domain: 'sales' });
    expect((await next(first.nextCursor!, 'pat')).status).toBe(200);
    await gw.http().delete(`/v1/grants/${g1}?reason=done`).set(as('dana')).expect(204);
    const r = await next(first.nextCursor!, 'pat');
    expect([r.status, r.body.code, r.body.grants]).toEqual([403, 'cursor_revoked', [g1]]);
    // A new read, under the grant that remains, is allowed.
    expect((await rows('page_size=5', 'pat')).status).toBe(200);
  });

  it('an expired grant stops the cursor too', async () => {
    await grant({ subject: 'quin', role: 'analyst', domain: 'sales', expiresAt: new Date(clock.now().getTime() + 60_000).toISOString() });
    await grant({ subject: 'quin', role: 'scientist', domain: 'sales' });
    const t = bearer(gw.token('quin', { exp: Math.floor(clock.now().getTime() / 1000) + 3600 }));
    const first = (await gw.http().get('/v1/datasets/sales/orders/rows?page_size=5').set(t).expect(200)).body as Page;
    clock.advance(60_000);
    const r = await next(first.nextCursor!, t);
    expect([r.status, r.body.code]).toEqual([403, 'cursor_revoked']);
  });

  it('revoking the token that opened a cursor stops it, even used with a new token; suspension refuses it (401)', async () => {
    await grant({ subject: 'rex', role: 'analyst', domain: 'sales' });
    const jti = 'rex-token-1';
    const old = bearer(gw.token('rex', { jti }));
    const first = (await gw.http().get('/v1/datasets/sales/orders/rows?page_size=5').set(old).expect(200)).body as Page;
    expect((await next(first.nextCursor!, 'rex')).status).toBe(200); // another valid token of rex
    await gw.http().post('/v1/revocations').set(as('dana')).send({ jti, reason: 'leaked' }).expect(201);
    const r = await next(first.nextCursor!, 'rex');
    expect([r.status, r.body.code]).toEqual([403, 'cursor_revoked']);

    const fresh = (await rows('page_size=5', 'rex').expect(200)).body as Page;
    await gw.http().post('/v1/subjects/rex/suspend').set(as('dana')).send({ reason: 'investigation' }).expect(200);
    const s = await next(fresh.nextCursor!, 'rex');
    expect([s.status, s.body.code]).toEqual([401, 'subject_suspended']);
  });

  it('audits every page like any read, naming its page and the grants that allowed it', async () => {
    const pages = await pageAll('page_size=400&select=id,region&id=lte.1000', 'alice');
    expect(pages).toHaveLength(3);
    const entries = await gw.deps.state.knex('mg_audit').where({ subject: 'alice', action: 'read' }).orderBy('id', 'desc').limit(3);
    const details = entries.reverse().map((e: { details: string }) => JSON.parse(e.details));
    expect(details.map((d: { cursor: { page: number } }) => d.cursor.page)).toEqual([1, 2, 3]);
    expect(entries.map((e: { row_count: number }) => e.row_count)).toEqual([400, 400, 200]);
    const aliceGrant = (await gw.http().get('/v1/me').set(as('alice'))).body.grants[0].id;
    for (const e of entries) {
      expect(e).toMatchObject({ decision: 'allow', status: 200, fingerprint: 'select=id,region&id=lte.?' });
      expect(JSON.parse(e.grant_ids)).toEqual([aliceGrant]);
    }
  });
});
