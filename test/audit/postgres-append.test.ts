// The audit group commit on PostgreSQL state in one round trip (audit/postgres-append.ts): two audit
// logs on one state schema (two replicas, each with its own connection pool and its own guess of the
// chain head) append at once; every entry gets its own id, the chain stays linear and verifies with its
// signed head, and a head another replica moved is never overwritten.
import knexFactory, { type Knex } from 'knex';
import { AuditLog } from '../../src/audit/audit-log';
import type { AuditInput } from '../../src/audit/audit-entry';
import { ensureSigningKey, signHead } from '../../src/audit/signing-key';
import { verifyChain } from '../../src/audit/verify-chain';
import { PG_URL, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const maybe = PG_URL ? describe : describe.skip;

maybe('audit appends on PostgreSQL state from two replicas at once', () => {
  let gw: TestGateway;
  let other: Knex;
  let otherLog: AuditLog;

  beforeAll(async () => {
    gw = await startTestGateway({ pg: true, seedDemo: false });
    other = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [gw.pgSchema!], pool: { min: 1, max: 4 } });
    const key = ensureSigningKey(gw.dataDir);
    otherLog = new AuditLog(other, 'postgres', 64, (id, hash) => signHead(key, id, hash));
  });

  afterAll(async () => {
    await otherLog?.close();
    await other?.destroy();
    await gw?.close();
  });

  const entry = (who: string, i: number): AuditInput => ({
    ts: new Date(),
    requestId: `${who}-${i}`,
    subject: who,
    action: 'read',
    resource: 'sales/orders',
    decision: 'allow',
    reason: `entry ${i} with "quotes", a backslash \\ and {braces}, commas, and ünïcödé`,
    status: 200,
    columns: ['id', 'region'],
    rowCount: i,
    latencyMs: 1.234,
    grantIds: ['g1'],
    details: i % 3 === 0 ? { nested: { list: [1, null, 'x'] } } : null,
  });

  it('gives every entry of both logs its own id on one linear chain that verifies, in bursts over many turns', async () => {
    const { audit } = gw.deps;
    const waits: Promise<number>[] = [];
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 15; i++) {
        waits.push(audit.record(entry('a', burst * 15 + i)));
        waits.push(otherLog.record(entry('b', burst * 15 + i)));
      }
      await new Promise((r) => setImmediate(r));
    }
    const ids = await Promise.all(waits);
    expect(new Set(ids).size).toBe(600);
    const knex = gw.deps.state.knex;
    const rows = await knex('mg_audit').orderBy('id').select('id', 'request_id', 'reason', 'details');
    expect(rows.map((r) => Number(r.id))).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    // Each id the logs answered names the entry they were given.
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    waits.forEach((_, k) => {
      const who = k % 2 === 0 ? 'a' : 'b';
      const i = Math.floor(k / 2);
      expect(byId.get(ids[k])?.request_id).toBe(`${who}-${i}`);
    });
    expect(byId.get(ids[0])?.reason).toBe(entry('a', 0).reason);
    expect(JSON.parse(byId.get(ids[0])!.details)).toEqual({ nested: { list: [1, null, 'x'] } });
    const report = await verifyChain(knex, { publicKey: ensureSigningKey(gw.dataDir).publicKey });
    expect(report).toMatchObject({ ok: true, entries: rows.length });
    const head = await knex('mg_audit_head').where({ id: 1 }).first();
    expect(Number(head.last_id)).toBe(rows.length);
  });

  it('chains onto a head moved by another writer instead of overwriting it', async () => {
    const { audit } = gw.deps;
    await audit.record(entry('a', 1000)); // this log now guesses the head
    await otherLog.record(entry('b', 1000)); // and the other replica moves it
    const id = await audit.record(entry('a', 1001));
    const knex = gw.deps.state.knex;
    const last = await knex('mg_audit').orderBy('id', 'desc').first('id', 'request_id');
    expect(Number(last.id)).toBe(id);
    expect(last.request_id).toBe('a-1001');
    expect(await verifyChain(knex, { publicKey: ensureSigningKey(gw.dataDir).publicKey })).toMatchObject({ ok: true });
  });
});
