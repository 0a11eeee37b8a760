// One knex per store named in the policies. SQLite stores live under $MESHGUARD_DATA_DIR/stores;
// PostgreSQL stores take their connection string from the environment variable the policy names.
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
