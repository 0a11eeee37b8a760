// Every SQLite connection the gateway opens gets the same pragmas (open-state.ts SQLITE_PRAGMAS): WAL,
// synchronous=FULL (a committed change survives a crash) and a 1 MiB page cache, whether it is the
// state store's, a store's writer, one of its readers or the audit commit worker's.
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import { SqliteCommitWorker } from '../../src/audit/sqlite-commit-worker';
import { SQLITE_CACHE_PRAGMA } from '../../src/state/open-state';
import { bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const CACHE = Number(SQLITE_CACHE_PRAGMA.split('=')[1]);

describe('SQLite connections of the gateway', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({});
    // A read opens a reader; a write goes through the writer; both append audit entries.
    expect((await gw.http().get('/v1/datasets/sales/orders/rows?limit=2').set(bearer(gw.token('alice')))).status).toBe(200);
  });
  afterAll(() => gw.close());

  const knexPragmas = async (knex: Knex) => {
    const one = async (p: string) => Object.values((await knex.raw(`PRAGMA ${p}`))[0] as Record<string, unknown>)[0];
    return { cache: await one('cache_size'), journal: await one('journal_mode'), sync: await one('synchronous') };
  };

  it('the state store and a store writer: WAL, synchronous=FULL, the 1 MiB cache', async () => {
    expect(CACHE).toBe(-1024);
    for (const knex of [gw.deps.state.knex, gw.deps.stores.get('sales')!.knex]) {
      expect(await knexPragmas(knex)).toEqual({ cache: CACHE, journal: 'wal', sync: 2 });
    }
  });

  it('a store reader: the same cache, read-only', async () => {
    const readers = gw.deps.stores.get('sales')!.readers!;
    const db: BetterSqlite3.Database = await readers.acquire();
    try {
      expect(db.pragma('cache_size', { simple: true })).toBe(CACHE);
      expect(db.pragma('query_only', { simple: true })).toBe(1);
    } finally {
      readers.release(db);
    }
  });

  it('the audit commit worker: WAL, synchronous=FULL, the busy timeout and the 1 MiB cache', async () => {
    // The worker thread opens its own connection to the state file; it reports that connection's values.
    const sql = { readHead: 'select last_id, last_hash from mg_audit_head where id = ?', readHeadValues: [1], insert: 'select 1', setHead: 'select 1' };
    const worker = new SqliteCommitWorker(gw.deps.state.file!, sql);
    try {
      expect(await worker.readPragmas(['cache_size', 'synchronous', 'journal_mode', 'busy_timeout'])).toEqual([CACHE, 2, 'wal', 5000]);
    } finally {
      await worker.close();
    }
  });
});
