// Group commit of writes to one SQLite store (stores/write-batches.ts): writes that arrive together
// share one store transaction, each in a savepoint of its own. Checked on a real SQLite file: one
// write's refusal is its own; an audit entry that cannot be committed rolls the whole batch back;
// each write sees the ones before it. Then through HTTP on both backends: concurrent inserts, one of
// them conflicting, each get their own answer and entry, and nothing else is lost or doubled.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { sqliteConnection } from '../../src/state/open-state';
import { WriteBatches } from '../../src/stores/write-batches';
import { BACKENDS, bearer, listen, startTestGateway, type TestGateway } from '../helpers/test-gateway';

describe('WriteBatches on a SQLite store', () => {
  let dir: string;
  let knex: Knex;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-batches-'));
    knex = knexFactory(sqliteConnection(path.join(dir, 'store.sqlite')));
    await knex.schema.createTable('t', (t) => {
      t.integer('id').primary();
      t.text('v').notNullable();
    });
  });
  afterEach(async () => {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const insert = (id: number, v = `v${id}`) => async (trx: Knex.Transaction) => {
    await trx('t').insert({ id, v });
    return id;
  };
  const ids = async () => (await knex('t').orderBy('id').pluck('id')).map(Number);

  it('commits writes that arrive together in one batch; a refused write fails alone', async () => {
    const batches = new WriteBatches(knex);
    const audited: number[] = [];
    const runs = [1, 2, 3, 2, 4].map((id) => batches.run(insert(id), async (n) => void audited.push(n)));
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((settled[3] as PromiseRejectedResult).reason.code).toBe('conflict');
    expect(await ids()).toEqual([1, 2, 3, 4]);
    // The refused write recorded nothing; the others each once.
    expect(audited.sort()).toEqual([1, 2, 3, 4]);
    expect(batches.stats).toEqual({ batches: 1, writes: 4 });
  });

  it('rolls back a write whose rows fail part-way, keeping the writes around it', async () => {
    const batches = new WriteBatches(knex);
    const twoRows = async (trx: Knex.Transaction) => {
      await trx('t').insert({ id: 10, v: 'first row of a bad batch' });
      await trx('t').insert({ id: 11, v: null }); // NOT NULL: the write fails after one row went in
      return 2;
    };
    const settled = await Promise.allSettled([batches.run(insert(9), async () => undefined), batches.run(twoRows, async () => undefined), batches.run(insert(12), async () => undefined)]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await ids()).toEqual([9, 12]);
  });

  it('commits nothing of a batch whose audit entries cannot all be committed', async () => {
    const batches = new WriteBatches(knex);
    const auditDown = new Error('audit store is down');
    const settled = await Promise.allSettled([
      batches.run(insert(1), async () => undefined),
      batches.run(insert(2), async () => {
        throw auditDown;
      }),
      batches.run(insert(3), async () => undefined),
    ]);
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect((settled[1] as PromiseRejectedResult).reason).toBe(auditDown);
    expect(await ids()).toEqual([]);
    // The store is usable again at once.
    await batches.run(insert(5), async () => undefined);
    expect(await ids()).toEqual([5]);
  });

  it('answers no write before every entry of its batch is durable', async () => {
    const batches = new WriteBatches(knex);
    let release!: () => void;
    const slowAudit = new Promise<void>((r) => (release = r));
    let firstAnswered = false;
    const first = batches.run(insert(1), async () => undefined).then(() => (firstAnswered = true));
    const second = batches.run(insert(2), () => slowAudit);
    await new Promise((r) => setTimeout(r, 50));
    expect(firstAnswered).toBe(false);
    // Nothing is committed yet: another connection sees no rows.
    const other = knexFactory(sqliteConnection(path.join(dir, 'store.sqlite')));
    try {
      expect(await other('t').count({ n: '*' })).toEqual([{ n: 0 }]);
    } finally {
      await other.destroy();
    }
    release();
    await Promise.all([first, second]);
    expect(await ids()).toEqual([1, 2]);
  });

  it('lets each write see the writes before it in its batch', async () => {
    const batches = new WriteBatches(knex);
    const seen: number[] = [];
    const counting = (id: number) => async (trx: Knex.Transaction) => {
      const [{ n }] = await trx('t').count({ n: '*' });
      seen.push(Number(n));
      await trx('t').insert({ id, v: 'x' });
      return id;
    };
    await Promise.all([1, 2, 3].map((id) => batches.run(counting(id), async () => undefined)));
    expect(seen).toEqual([0, 1, 2]);
  });
});

describe.each(BACKENDS)('concurrent inserts through HTTP on $name', ({ pg }) => {
  let gw: TestGateway;
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    const { server, port } = await listen(gw.app);
    base = `http://127.0.0.1:${port}`;
    close = () => new Promise((r) => server.close(() => r()));
  });
  afterAll(async () => {
    await close();
    await gw.close();
  });

  it('answers each write for itself and audits each exactly once', async () => {
    const bob = { ...bearer(gw.token('bob')), 'content-type': 'application/json' };
    const order = (id: number) => ({ id, customer_id: 1, region: 'EU', amount: 10, status: 'paid', created_at: '2026-11-30T10:00:00Z' });
    // 24 writes of two rows at once; write 7 repeats an id of write 3, so exactly one of the two conflicts.
    const bodies = Array.from({ length: 24 }, (_, i) => ({ rows: [order(900000 + 2 * i), order(i === 7 ? 900006 : 900000 + 2 * i + 1)] }));
    const answers = await Promise.all(bodies.map((b) => fetch(`${base}/v1/datasets/sales/orders/rows`, { method: 'POST', headers: bob, body: JSON.stringify(b) })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(23);
    expect(statuses.filter((s) => s === 409)).toHaveLength(1);
    const loser = statuses.indexOf(409);
    expect([3, 7]).toContain(loser);

    const stored = await gw.http().get('/v1/datasets/sales/orders/rows?id=gte.900000&id=lt.900100&limit=1000&select=id').set(bearer(gw.token('bob')));
    expect(stored.status).toBe(200);
    expect(stored.body.rows).toHaveLength(46); // 23 writes of 2 rows; nothing of the conflicting one
    const audit = await gw.http().get('/v1/audit?subject=bob&action=insert&limit=1000').set(bearer(gw.token('erin')));
    expect(audit.status).toBe(200);
    const entries = audit.body.entries as { decision: string; status: number; rowCount: number }[];
    const inserts = entries.filter((e) => e.decision === 'allow' && e.status === 201);
    expect(inserts).toHaveLength(23);
    expect(inserts.every((e) => e.rowCount === 2)).toBe(true);
    const refused = entries.filter((e) => e.status === 409);
    expect(refused).toHaveLength(1);
  });
});
