// Statements the gateway runs on every request or every audit commit, held prepared per SQLite
// connection. knex builds and prepares each query afresh (SQL compilation, then better-sqlite3's
// prepare), which the benchmark's profile showed as a large share of the state store's cost; the SQL
// text is still built by knex from bindings, once, and only its execution runs on the raw connection.
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';

interface PoolClient {
  acquireConnection(): Promise<BetterSqlite3.Database>;
  releaseConnection(conn: BetterSqlite3.Database): Promise<unknown>;
}

/** Runs `fn` on a connection of the knex SQLite pool, holding it (so no knex query interleaves) until it returns. */
export async function onSqliteConnection<T>(knex: Knex, fn: (db: BetterSqlite3.Database) => T): Promise<T> {
  const client = knex.client as unknown as PoolClient;
  const db = await client.acquireConnection();
  try {
    return fn(db);
  } finally {
    await client.releaseConnection(db);
  }
}

/** Runs `fn` on the connection a knex SQLite transaction holds (between its other queries, never during one). */
export async function onTransactionConnection<T>(trx: Knex.Transaction, fn: (db: BetterSqlite3.Database) => T): Promise<T> {
  // A transaction's client always answers with the connection the transaction holds, and releases nothing.
  const db = await (trx.client as unknown as PoolClient).acquireConnection();
  return fn(db);
}

const NAMED = '\u0000mg:';

/** A value standing for a named parameter in a query handed to `heldQuery`. */
export const param = (name: string): string => `${NAMED}${name}`;

export interface SqlTemplate {
  sql: string;
  /** The statement's positional values, from named parameters (constants stay as knex bound them). */
  values(params: Record<string, unknown>): unknown[];
}

export interface HeldQuery extends SqlTemplate {
  stmt: BetterSqlite3.Statement;
}

/** A knex query as SQL text whose values come from named parameters (given in the query as `param(name)`). */
export function sqlTemplate(q: Knex.QueryBuilder): SqlTemplate {
  const { sql, bindings } = q.toSQL().toNative();
  // Each binding is either a named parameter (its name) or a constant knex bound (null name).
  const names = bindings.map((b) => (typeof b === 'string' && b.startsWith(NAMED) ? b.slice(NAMED.length) : null));
  return { sql, values: (params) => names.map((n, i) => (n === null ? bindings[i] : params[n])) };
}

// Keyed by the connection object, so the statements go when the pool destroys the connection.
const held = new WeakMap<BetterSqlite3.Database, Map<string, HeldQuery>>();

/** The statement `build` describes, prepared once per connection and kept under `key`. */
export function heldQuery(db: BetterSqlite3.Database, key: string, build: () => Knex.QueryBuilder): HeldQuery {
  let byKey = held.get(db);
  if (!byKey) held.set(db, (byKey = new Map()));
  let q = byKey.get(key);
  if (!q) {
    const t = sqlTemplate(build());
    q = { ...t, stmt: db.prepare(t.sql) };
    byKey.set(key, q);
  }
  return q;
}

/** Most statements kept per connection by SQL text; past it the cache starts over, so memory stays flat. */
export const STATEMENT_CACHE_MAX = 256;

const bySql = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/** The statement for `sql`, prepared once per connection: for queries whose SQL text repeats while
 *  their values (bindings) change, such as the read plans. */
export function cachedStatement(db: BetterSqlite3.Database, sql: string): BetterSqlite3.Statement {
  let cache = bySql.get(db);
  if (!cache) bySql.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (cache.size >= STATEMENT_CACHE_MAX) cache.clear();
    cache.set(sql, stmt);
  }
  return stmt;
}
