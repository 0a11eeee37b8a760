// One knex per store named in the policies. SQLite stores live under $MESHGUARD_DATA_DIR/stores;
// PostgreSQL and MySQL/MariaDB stores take their connection string from the environment variable the
// policy names.
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import type { Policies } from '../policy/load-policies';
import type { StoreDef } from '../policy/policy-schema';
import { sqliteConnection, type Dialect } from '../state/open-state';
import { SqliteReaders } from './sqlite-readers';
import { WriteBatches } from './write-batches';
import { ensurePrivateDir, ensurePrivateSqliteFile } from '../state/private-files';

export interface Store {
  name: string;
  knex: Knex;
  dialect: Dialect;
  /** For SQLite stores: the database file, the read connections of streamed reads, and the group
   *  commit of concurrent writes (write-batches.ts). */
  file?: string;
  readers?: SqliteReaders;
  writes?: WriteBatches;
}

export type StoreRegistry = Map<string, Store>;

export function sqliteStoreFile(config: Config, def: Extract<StoreDef, { kind: 'sqlite' }>): string {
  return path.resolve(config.dataDir, 'stores', def.file);
}

/**
 * knex over mysql2 for a MySQL/MariaDB store. Every session runs in UTC, so DATETIME values hold UTC
 * instants both ways (coerce-value.ts writes them without T and Z); dates are read as their text, and
 * big integers and decimals as numbers where they fit (fromStoreValue makes numbers of them anyway).
 */
function mysqlConnection(url: string, pool?: { min: number; max: number }): Knex.Config {
  return {
    client: 'mysql2',
    connection: { uri: url, timezone: 'Z', dateStrings: ['DATE'], supportBigNumbers: true, multipleStatements: false } as unknown as Knex.MySql2ConnectionConfig, // knex's type misses dateStrings: string[]
    pool: {
      ...(pool ?? { min: 0, max: 10 }),
      afterCreate: (conn: { query(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) =>
        conn.query("SET time_zone = '+00:00', sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')", (err) => done(err, conn)),
    },
  };
}

export function openStores(config: Config, policies: Policies): StoreRegistry {
  const stores: StoreRegistry = new Map();
  for (const [name, def] of Object.entries(policies.stores)) {
    if (def.kind === 'sqlite') {
      const file = sqliteStoreFile(config, def);
      ensurePrivateDir(config.dataDir);
      ensurePrivateSqliteFile(file); // data/stores 0700, the store's files 0600
      const knex = knexFactory(sqliteConnection(file));
      stores.set(name, { name, dialect: 'sqlite', file, knex, readers: new SqliteReaders(file), writes: new WriteBatches(knex) });
    } else {
      const url = config.secretFromEnv(def.urlEnv);
      if (!url) throw new ConfigError(`${def.urlEnv}: not set, but policy store ${name} takes its connection string from it`);
      if (def.kind === 'mysql') {
        stores.set(name, { name, dialect: 'mysql', knex: knexFactory(mysqlConnection(url, def.pool)) });
        continue;
      }
      const knex = knexFactory({
        client: 'pg',
        connection: url,
        searchPath: def.schema ? [def.schema] : undefined,
        pool: def.pool ?? { min: 0, max: 10 },
      });
      stores.set(name, { name, dialect: 'postgres', knex });
    }
  }
  return stores;
}

export async function closeStores(stores: StoreRegistry): Promise<void> {
  await Promise.all([...stores.values()].map(async (s) => {
    await s.readers?.close();
    await s.knex.destroy();
  }));
}
