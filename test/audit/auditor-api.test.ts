// The auditor's API: only auditors read the log (through the policy layer); filters, newest first,
// keyset pages with an opaque cursor; exports in CSV and NDJSON; the summary; bad queries are 400
// problem+json with a stable code; every read of the log is itself audited. Every backend.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

interface Entry { id: number; subject: string | null; decision: string; resource: string | null; action: string; status: number; ts: string }

describe.each(BACKENDS)('auditor API on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));
  const erin = () => as('erin');
  const list = (q: string) => gw.http().get(`/v1/audit${q}`).set(erin());

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    for (let i = 0; i < 3; i++) await gw.http().get('/v1/datasets/sales/orders/rows?limit=1').set(as('alice'));
    for (let i = 0; i < 4; i++) await gw.http().get('/v1/datasets/hr/employees/rows').set(as('alice'));
    await gw.http().get('/v1/datasets/hr/employees/rows?limit=1').set(as('carol'));
    await gw.http().get('/v1/me').set(bearer('not-a-token'));
  });
  afterAll(() => gw.close());

  it.each(['alice', 'bob', 'carol', 'dana'])('refuses %s with 403, before looking at the query', async (who) => {
    for (const p of ['/v1/audit', '/v1/audit/export?format=csv', '/v1/audit/summary', '/v1/audit/verify', '/v1/audit?limit=nope']) {
      const r = await gw.http().get(p).set(as(who));
      expect([r.status, r.body.code, r.body.missing]).toEqual([403, 'forbidden', 'read_audit']);
    }
  });

  it('refuses an unauthenticated caller with 401', async () => {
    expect((await gw.http().get('/v1/audit')).status).toBe(401);
  });

  it('lists entries newest first with filters', async () => {
    const r = await list('?subject=alice&decision=deny&action=read');
    expect(r.status).toBe(200);
    expect(r.body.nextCursor).toBeNull();
    const entries: Entry[] = r.body.entries;
    expect(entries).toHaveLength(4);
    expect(entries.every((e) => e.subject === 'alice' && e.decision === 'deny' && e.resource === 'hr.employees' && e.status === 403)).toBe(true);
    expect(entries.map((e) => e.id)).toEqual([...entries.map((e) => e.id)].sort((a, b) => b - a));
    expect(Object.keys(entries[0])).toEqual(expect.arrayContaining(['requestId', 'reason', 'columns', 'rowCount', 'fingerprint', 'clientIp', 'latencyMs', 'grantIds', 'policyVersion', 'details', 'hash']));
    expect((await list('?domain=hr')).body.entries.map((e: Entry) => e.resource)).toEqual(Array(5).fill('hr.employees'));
    expect((await list('?dataset=orders&status=200')).body.entries).toHaveLength(3);
    expect((await list('?domain=sales&dataset=employees')).body.entries).toHaveLength(0);
    expect((await list('?action=authenticate')).body.entries[0]).toMatchObject({ subject: null, decision: 'deny', status: 401 });
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list(`?since=${future}`)).body.entries).toHaveLength(0);
    expect((await list(`?until=${future}&subject=carol&action=read`)).body.entries).toHaveLength(1);
    expect((await list('?since=2000-01-01&until=2000-01-02')).body.entries).toHaveLength(0);
  });

  it('pages with an opaque cursor, newest first, without gaps or repeats', async () => {
    const all: Entry[] = (await list('?limit=1000&subject=alice')).body.entries;
    expect(all.length).toBeGreaterThanOrEqual(7);
    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const r = await list(`?limit=2&subject=alice${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      expect(r.body.entries.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.entries);
      cursor = r.body.nextCursor;
      if (cursor) expect(cursor).not.toMatch(/^\d+$/);
    } while (cursor);
    expect(seen.map((e) => e.id)).toEqual(all.map((e) => e.id));
  });

  it.each([
    ['?limit=0', 'invalid_audit_query'],
    ['?limit=1001', 'invalid_audit_query'],
    ['?limit=ten', 'invalid_audit_query'],
    ['?cursor=garbage', 'invalid_cursor'],
    [`?cursor=${Buffer.from('a1:-5').toString('base64url')}`, 'invalid_cursor'],
    ['?since=yesterday', 'invalid_audit_query'],
    ['?since=2026-01-01T10:00:00', 'invalid_audit_query'],
    ['?since=', 'invalid_audit_query'],
    ['?cursor=', 'invalid_cursor'],
    ['?until=2026-13-45', 'invalid_audit_query'],
    ['?decision=maybe', 'invalid_audit_query'],
    ['?status=abc', 'invalid_audit_query'],
    ['?domain=sa%25les', 'invalid_audit_query'],
    ['?subject=a&subject=b', 'invalid_audit_query'],
    ['?colour=red', 'unknown_parameter'],
    ['/export?format=xml', 'invalid_audit_query'],
    ['/summary?subject=alice', 'unknown_parameter'],
    ['/verify?deep=1', 'unknown_parameter'],
  ])('answers %s with 400 %s as problem+json', async (q, code) => {
    const r = await list(q);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.body.code).toBe(code);
  });

  it('exports the filtered log as NDJSON and as CSV', async () => {
    const nd = await gw.http().get('/v1/audit/export?format=ndjson&subject=alice&decision=deny&action=read').set(erin());
    expect(nd.status).toBe(200);
    expect(nd.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = nd.text.trim().split('\n').map((l) => JSON.parse(l) as Entry);
    expect(lines).toHaveLength(4);
    expect(lines.map((e) => e.id)).toEqual([...lines.map((e) => e.id)].sort((a, b) => a - b));
    const csv = await gw.http().get('/v1/audit/export?format=csv&domain=hr').set(erin()).buffer(true).parse((res, cb) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => cb(null, s));
    });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = (csv.body as string).trim().split('\r\n');
    expect(rows[0]).toBe('id,ts,requestId,subject,action,resource,decision,reason,status,columns,rowCount,fingerprint,clientIp,latencyMs,grantIds,policyVersion,details,prevHash,hash');
    expect(rows).toHaveLength(6);
  });

  it('defuses spreadsheet formulas in CSV cells', async () => {
    await gw.http().get('/v1/me').set(as('=HYPERLINK("http://evil")'));
    const csv = await gw.http().get('/v1/audit/export?format=csv&action=me').set(erin()).buffer(true).parse((res, cb) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => cb(null, s));
    });
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });

  it('summarises a period: per subject, dataset and decision, refusals by reason', async () => {
    const r = await gw.http().get(`/v1/audit/summary?since=2000-01-01&until=${new Date(Date.now() + 60_000).toISOString()}`).set(erin());
    expect(r.status).toBe(200);
    const s = r.body;
    expect(s.total).toBe(s.byDecision.allow + s.byDecision.deny);
    expect(s.bySubject).toEqual(expect.arrayContaining([expect.objectContaining({ subject: 'alice', allow: 3 })]));
    expect(s.byDataset).toEqual(expect.arrayContaining([expect.objectContaining({ dataset: 'hr.employees', allow: 1, deny: 4, total: 5 })]));
    expect(s.deniedByReason).toEqual(expect.arrayContaining([{ reason: 'forbidden', count: expect.any(Number) }, { reason: 'invalid_token', count: 1 }]));
    const empty = await gw.http().get('/v1/audit/summary?since=2000-01-01&until=2000-01-02').set(erin());
    expect(empty.body).toMatchObject({ total: 0, bySubject: [], byDataset: [], deniedByReason: [] });
  });

  it('counts decisions over time per hour or day, split by subject, dataset or refusal code', async () => {
    const period = `since=2000-01-01&until=${new Date(Date.now() + 60_000).toISOString()}`;
    const sum = (pts: { allow: number; deny: number }[], k: 'allow' | 'deny') => pts.reduce((n, p) => n + p[k], 0);
    const plain = await gw.http().get(`/v1/audit/summary?${period}&bucket=1h`).set(erin());
    expect(plain.status).toBe(200);
    expect(plain.body).toMatchObject({ bucket: '1h', by: null });
    const hours: { start: string; allow: number; deny: number }[] = plain.body.series;
    expect(hours.length).toBeGreaterThan(0);
    for (const p of hours) expect(new Date(p.start).getTime() % 3_600_000).toBe(0);
    expect(sum(hours, 'allow') + sum(hours, 'deny')).toBe(plain.body.total);
    expect(hours.every((p) => !('key' in p))).toBe(true);

    const days = (await gw.http().get(`/v1/audit/summary?${period}&bucket=1d&by=dataset`).set(erin())).body.series;
    for (const p of days) expect(new Date(p.start).getTime() % 86_400_000).toBe(0);
    const hr = days.filter((p: { key: string }) => p.key === 'hr.employees');
    expect([sum(hr, 'allow'), sum(hr, 'deny')]).toEqual([1, 4]);
    expect(days.every((p: { key: string }) => /^[a-z]+\.[a-z_]+$/.test(p.key))).toBe(true);

    const bySubject = (await gw.http().get(`/v1/audit/summary?${period}&bucket=1h&by=subject`).set(erin())).body;
    const alice = bySubject.series.filter((p: { key: string }) => p.key === 'alice');
    const aliceTotals = bySubject.bySubject.find((g: { subject: string }) => g.subject === 'alice');
    expect([sum(alice, 'allow'), sum(alice, 'deny')]).toEqual([aliceTotals.allow, aliceTotals.deny]);
    expect(aliceTotals.allow).toBeGreaterThanOrEqual(3);

    const byCode = (await gw.http().get(`/v1/audit/summary?${period}&bucket=1h&by=code`).set(erin())).body;
    const codes = new Set(byCode.series.filter((p: { deny: number }) => p.deny > 0).map((p: { key: string }) => p.key));
    expect([...codes].sort()).toEqual(byCode.deniedByReason.map((r: { reason: string }) => r.reason).sort());
    expect(byCode.series.filter((p: { allow: number }) => p.allow > 0).every((p: { key: unknown }) => p.key === null)).toBe(true);

    for (const [q, code, parameter] of [
      ['by=subject', 'invalid_audit_query', 'by'],
      ['bucket=5m', 'invalid_audit_query', 'bucket'],
      ['bucket=1h&by=reason', 'invalid_audit_query', 'by'],
      ['bucket=1h&bucket=1d', 'invalid_audit_query', 'bucket'],
    ]) {
      const r = await gw.http().get(`/v1/audit/summary?${q}`).set(erin());
      expect([r.status, r.body.code, r.body.parameter]).toEqual([400, code, parameter]);
    }
  });

  it('audits every read of the log, with the auditor grant that allowed it', async () => {
    const me = await gw.http().get('/v1/me').set(erin());
    const r = await list('?subject=bob&limit=5');
    const mine = (await list('?subject=erin&limit=1')).body.entries[0];
    expect(mine).toMatchObject({ action: 'audit_read', resource: 'audit', decision: 'allow', requestId: r.headers['x-request-id'], grantIds: [me.body.grants[0].id] });
    expect(mine.details.query).toEqual({ subject: 'bob', limit: '5' });
    const actions = (await list('?subject=erin&limit=1000')).body.entries.map((e: Entry) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['audit_read', 'audit_export', 'audit_summary']));
    const refused = (await list('?action=audit_read&decision=deny')).body.entries;
    expect(refused.map((e: Entry) => e.subject)).toEqual(expect.arrayContaining(['alice', 'dana']));
  });
});
