// Opens the gateway's own state store (grants, audit): embedded SQLite in the data dir by default,
// or a PostgreSQL database shared by several gateway processes. Runs the state migrations.
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Config } from '../config';
import { CachingSqliteClient } from './caching-sqlite-client';
import { ensurePrivateSqliteFile } from './private-files';
import { stateMigrations } from './state-migrations';

/** The SQL dialects meshguard speaks: the state store is SQLite or PostgreSQL; a data store may also be MySQL/MariaDB. */
export type Dialect = StateDialect | 'mysql';
export type StateDialect = 'sqlite' | 'postgres';

export interface StateDb {
  knex: Knex;
  dialect: StateDialect;
  /** The SQLite database file (absent on PostgreSQL). */
  file?: string;
}

/**
 * The page cache of each SQLite connection of the gateway (PRAGMA cache_size, negative: KiB): 1 MiB
 * instead of SQLite's 2 MiB. A gateway holds a dozen and more connections (each store's writer and
 * up to four readers, the state store's, the audit commit worker's), and each cache fills to its
 * size as reads and appends touch pages: in the benchmark's standard run the default caches made up
 * about 16 MB of the gateway's peak RSS. A page not cached is read from the operating system's file
 * cache (WAL mode reads the file, it does not map it), so what is lost is a copy, not a disk read; the
 * benchmark's reads and writes ran at the same CPU per request with 1 MiB, and with 256 KiB.
 */
export const SQLITE_CACHE_PRAGMA = 'cache_size = -1024';

/**
 * Pragmas every SQLite connection of the gateway gets, whoever opens it (the state store's knex
 * connection, each store's writer and readers, the audit commit worker's): a busy timeout instead of
 * SQLITE_BUSY errors, synchronous=FULL so a committed transaction survives a crash, and the page
 * cache (SQLITE_CACHE_PRAGMA). A connection that writes also puts the file in WAL mode
 * (SQLITE_WRITER_PRAGMAS), so readers never block the writer.
 */
export const SQLITE_PRAGMAS: readonly string[] = ['busy_timeout = 5000', 'synchronous = FULL', SQLITE_CACHE_PRAGMA];
export const SQLITE_WRITER_PRAGMAS: readonly string[] = ['journal_mode = WAL', ...SQLITE_PRAGMAS];

/** A knex connection to one SQLite file, with the gateway's pragmas (SQLITE_PRAGMAS). */
export function sqliteConnection(file: string, opts: { readonly?: boolean } = {}): Knex.Config {
  const pragmas = opts.readonly ? SQLITE_PRAGMAS : SQLITE_WRITER_PRAGMAS;
  return {
    client: CachingSqliteClient as unknown as Knex.Config['client'],
    connection: { filename: file, options: { readonly: opts.readonly ?? false } } as Knex.Sqlite3ConnectionConfig,
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: { pragma: (s: string) => unknown }, done: (err: Error | null, conn: unknown) => void) => {
        try {
          for (const p of pragmas) conn.pragma(p);
          done(null, conn);
        } catch (e) {
          done(e as Error, conn);
        }
      },
    },
  };
}

export async function openState(config: Config): Promise<StateDb> {
  let knex: Knex;
  let dialect: StateDialect;
  let file: string | undefined;
  if (config.stateUrl) {
    dialect = 'postgres';
    knex = knexFactory({
      client: 'pg',
      connection: config.stateUrl,
      searchPath: config.stateSchema ? [config.stateSchema] : undefined,
      pool: { min: 1, max: 10 },
    });
    if (config.stateSchema) await knex.raw('create schema if not exists ??', [config.stateSchema]);
  } else {
    dialect = 'sqlite';
    file = path.join(config.dataDir, 'meshguard.sqlite');
    ensurePrivateSqliteFile(file); // the data dir 0700, the file (and its WAL and SHM) 0600
    knex = knexFactory(sqliteConnection(file));
  }
  await knex.migrate.latest({ migrationSource: stateMigrations, tableName: 'mg_migrations' });
  return { knex, dialect, file };
}
