// No request-derived value can break an audit commit or put raw control text into the log: every
// text field is escaped and bounded before it is hashed and stored (PostgreSQL's varchar(255) once made
// a 5000-character path segment fail its own commit and every request that shared it), and a group
// commit that fails is retried entry by entry, so one bad entry fails only its own request. Every backend.
import { FIELD_MAX, type AuditRow } from '../../src/audit/audit-entry';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';
import { entriesFor } from './support/audit-rows';

/** Raw control characters an entry must never hold: C0, DEL, C1, U+2028/2029. */
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const TEXT_FIELDS = Object.keys(FIELD_MAX) as (keyof typeof FIELD_MAX)[];

function expectBounded(e: AuditRow): void {
  for (const f of TEXT_FIELDS) {
    const v = e[f];
    if (v === null) continue;
    expect([f, v.length <= FIELD_MAX[f]]).toEqual([f, true]);
    expect([f, RAW_CONTROL.test(v)]).toEqual([f, false]);
    if (f === 'columns' || f === 'grant_ids' || f === 'details') expect(() => JSON.parse(v)).not.toThrow();
  }
}

describe.each(BACKENDS)('bounded audit fields on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
  });
  afterAll(() => gw.close());

  it('answers 20 reads beside 20 requests with 5000-character path segments; each is audited, bounded', async () => {
    const long = 'x'.repeat(5000);
    const legit = Array.from({ length: 20 }, () => gw.http().get('/v1/datasets/sales/orders/rows?limit=2').set(as('alice')));
    const longs = Array.from({ length: 20 }, (_, i) =>
      i % 2 ? gw.http().get(`/v1/datasets/${long}/x/rows`).set(as('alice')) : gw.http().delete(`/v1/grants/${long}`).set(as('alice')).send({ reason: 'r' }),
    );
    const before = { ...gw.deps.audit.stats };
    const answers = await Promise.all([...legit, ...longs]);
    expect(answers.slice(0, 20).map((r) => r.status)).toEqual(Array(20).fill(200));
    for (const r of answers.slice(20)) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    // They shared group commits (fewer commits than entries).
    expect(gw.deps.audit.stats.commits - before.commits).toBeLessThan(40);
    for (const r of answers) {
      const [e] = await entriesFor(gw, r.headers['x-request-id']);
      expect(e).toMatchObject({ status: r.status });
      expectBounded(e);
    }
    // A name that is not in the catalog is not stored as the resource at all, nor echoed.
    const [longEntry] = await entriesFor(gw, answers[21].headers['x-request-id']);
    expect(longEntry.resource).toBeNull();
    expect(longEntry.reason).not.toContain('xxxxxxxx');
    // A long list the client sent (select) is kept, bounded, as valid JSON.
    const select = await gw.http().get(`/v1/datasets/sales/orders/rows?select=${Array(4000).fill('zz').join(',')}`).set(as('alice'));
    expect(select.status).toBe(400);
    const [selectEntry] = await entriesFor(gw, select.headers['x-request-id']);
    expectBounded(selectEntry);
    expect(selectEntry.columns!.length).toBeGreaterThan(FIELD_MAX.columns / 2);
    expect((await gw.http().get('/v1/audit/verify').set(as('erin'))).body).toMatchObject({ ok: true, firstBroken: null });
  });

  it('retries a failed group commit entry by entry: the entry the store refuses fails only its own request', async () => {
    const k = gw.deps.state.knex;
    if (pg) {
      await k.raw("create function mg_test_refuse_one() returns trigger language plpgsql as $$ begin if new.subject = 'mallory' then raise exception 'refused'; end if; return new; end $$");
      await k.raw('create trigger mg_test_refuse_one before insert on mg_audit for each row execute function mg_test_refuse_one()');
    } else {
      await k.raw("create trigger mg_test_refuse_one before insert on mg_audit when new.subject = 'mallory' begin select raise(abort, 'refused'); end");
    }
    try {
      const before = { ...gw.deps.audit.stats };
      const answers = await Promise.all([
        ...Array.from({ length: 20 }, () => gw.http().get('/v1/datasets/sales/orders/rows?limit=2').set(as('alice'))),
        gw.http().get('/v1/me').set(as('mallory')),
      ]);
      expect(answers.map((r) => r.status)).toEqual([...Array(20).fill(200), 503]);
      expect(answers[20].body.code).toBe('audit_unavailable');
      expect(gw.deps.audit.stats.entries - before.entries).toBe(20);
      for (const r of answers.slice(0, 20)) expect(await entriesFor(gw, r.headers['x-request-id'])).toHaveLength(1);
    } finally {
      await k.raw(pg ? 'drop trigger mg_test_refuse_one on mg_audit' : 'drop trigger mg_test_refuse_one');
      if (pg) await k.raw('drop function mg_test_refuse_one()');
    }
    expect((await gw.http().get('/v1/audit/verify').set(as('erin'))).body).toMatchObject({ ok: true, firstBroken: null });
  });

  it('escapes CR/LF and other control characters from paths, parameters and headers', async () => {
    const evil = '%0D%0ASet-Cookie:%20a=b%00%C2%85%E2%80%A8%E2%80%AE';
    const answers = [
      await gw.http().get(`/v1/datasets/sales/ord${evil}/rows`).set(as('alice')),
      await gw.http().get(`/v1/audit?subject=mallory${evil.replace('%00', '')}`).set(as('erin')),
      await gw.http().get(`/v1/datasets/sales/orders/rows?limit=1&region=eq.EU${evil.replace('%00', '')}`).set(as('alice')),
      // (no NUL in a grant id: PostgreSQL refuses it as a query value, a grants-store matter outside the audit)
      await gw.http().delete(`/v1/grants/g${evil.replace('%00', '')}?reason=r`).set(as('dana')).set('X-Request-Id', `r${evil}`),
    ];
    expect(answers.map((r) => r.status)).toEqual([404, 200, expect.any(Number), 404]);
    const entries: AuditRow[] = [];
    for (const r of answers) {
      expect(r.headers['x-request-id']).not.toMatch(/[\r\n%]/);
      entries.push(...(await entriesFor(gw, r.headers['x-request-id'])));
    }
    expect(entries).toHaveLength(answers.length);
    entries.forEach(expectBounded);
    // What was sent is still there, escaped (an unknown dataset name is not stored at all).
    expect(entries[0].resource).toBeNull();
    expect(JSON.parse(entries[1].details!).query.subject).toBe('mallory\\u000d\\u000aSet-Cookie: a=b\\u0085\\u2028\\u202e');
    expect((await gw.http().get('/v1/audit/verify').set(as('erin'))).body).toMatchObject({ ok: true, firstBroken: null });
  });
});
