// A cursor over one SELECT on a store: rows are pulled in batches, so a read's memory is bounded by a
// batch, not by its answer. SQLite reads iterate a statement on a read connection of their own
// (sqlite-readers.ts); PostgreSQL reads use a server-side cursor (pg-cursor) on a pooled connection;
// MySQL/MariaDB reads stream the result on a pooled connection (mysql2's query().stream(), which pauses
// the socket while its buffer is full, so memory stays bounded by that buffer).
// Either way the connection is held until close(), which every caller must reach (finally).
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import Cursor from 'pg-cursor';
import type { PoolClient } from 'pg';
import type { Readable } from 'node:stream';
import { cachedStatement } from '../state/held-statements';
import type { NativeSql } from './native-sql';
import type { Store } from './store-registry';
import { translateStoreError } from './translate-error';

export type StoreRow = Record<string, unknown>;

export interface RowCursor {
  /** Up to `maxRows` rows, fewer once about `maxChars` characters of values have been read; [] at the end. */
  read(maxRows: number, maxChars: number): Promise<StoreRow[]>;
  /** True once the last row has been read (a read returned fewer rows than asked because there are no more). */
  readonly done: boolean;
  close(): Promise<void>;
}

/** A cheap estimate of a row's size: the characters of its text values, 8 for any other value. */
export function approxChars(row: StoreRow): number {
  let n = 0;
  for (const k in row) {
    const v = row[k];
    n += typeof v === 'string' ? v.length : 8;
  }
  return n;
}

interface KnexPoolClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(conn: unknown): Promise<unknown>;
}

// better-sqlite3 builds each row object in C++, property by property, which the profile showed as
// about half of a 50-row read's cost; its raw mode answers arrays, and one object built here per row
// from the statement's column names (the same names, in the same order) costs a fraction of that.
// The object is built by a function made for the statement's column list, an object literal with
// those names: every row of a statement then has the same shape from its first property on, where
// assigning names from a list (`row[name] = v`) goes through a lookup that sees every statement's
// names and, in a gateway serving many datasets, costs ten times more (the read path's profile).
export type RowBuilder = (cells: unknown[]) => StoreRow;

const builders = new WeakMap<BetterSqlite3.Statement, RowBuilder>();

/** A function that turns a raw row (an array in column order) into an object keyed by `names`. */
export function rowBuilder(names: string[]): RowBuilder {
  // A literal's `__proto__:` would set the prototype instead of a property: such a list (which the
  // catalog's identifiers never give) is built by assignment as own properties instead.
  if (names.includes('__proto__')) {
    return (cells) => {
      const row: StoreRow = {};
      names.forEach((n, i) => Object.defineProperty(row, n, { value: cells[i], enumerable: true, writable: true, configurable: true }));
      return row;
    };
  }
  // The names are JSON string literals (any text is a safe literal), the values array indexes.
  return new Function('c', `return {${names.map((n, i) => `${JSON.stringify(n)}: c[${i}]`).join(', ')}};`) as RowBuilder;
}

function rawStatement(db: BetterSqlite3.Database, sql: string): { stmt: BetterSqlite3.Statement; build: RowBuilder } {
  const stmt = cachedStatement(db, sql).raw(true);
  let build = builders.get(stmt);
  if (!build) builders.set(stmt, (build = rowBuilder(stmt.columns().map((c) => c.name))));
  return { stmt, build };
}

/**
 * Reads of at most this many rows (the plan's LIMIT) are fetched from SQLite in one call: stepping a
 * statement row by row from JavaScript costs a call into the driver per row (17 µs more than one call
 * for a 50-row read, measured in isolation, and more under load). Their memory is then bounded by
 * these rows instead of by a batch of about 256 K characters; a larger read always steps.
 */
export const SQLITE_ONE_CALL_ROWS = 100;

function sqliteCursor(store: Store, sql: string, values: unknown[], oneCall: boolean): RowCursor {
  const readers = store.readers!;
  let db: BetterSqlite3.Database | null = null;
  let it: IterableIterator<unknown> | null = null;
  /** oneCall: the rows fetched and not yet read, from `next` on. */
  let fetched: unknown[][] | null = null;
  let next = 0;
  let build: RowBuilder | null = null;
  let done = false;
  // The connection goes back to the pool the moment the last row is read, not when the caller closes:
  // an answer that fits in one batch then waits for its audit commit without holding a connection.
  const release = () => {
    try {
      it?.return?.();
    } finally {
      if (db) readers.release(db);
      db = null;
      it = null;
    }
  };
  const step = (): unknown[] | null => {
    if (fetched) return next < fetched.length ? fetched[next++] : null;
    const r = it!.next();
    return r.done ? null : (r.value as unknown[]);
  };
  return {
    get done() {
      return done;
    },
    async read(maxRows, maxChars) {
      if (done) return [];
      try {
        if (!build) {
          db = await readers.acquire();
          const raw = rawStatement(db, sql);
          build = raw.build;
          if (oneCall) {
            fetched = raw.stmt.all(values) as unknown[][];
            release();
          } else {
            it = raw.stmt.iterate(values) as IterableIterator<unknown>;
          }
        }
        const rows: StoreRow[] = [];
        let chars = 0;
        while (rows.length < maxRows && chars < maxChars) {
          const cells = step();
          if (cells === null) {
            done = true;
            fetched = null;
            release();
            break;
          }
          for (let i = 0; i < cells.length; i++) {
            const v = cells[i];
            chars += typeof v === 'string' ? v.length : 8;
          }
          rows.push(build(cells));
        }
        return rows;
      } catch (e) {
        done = true;
        fetched = null;
        release();
        throw translateStoreError(e);
      }
    },
    async close() {
      done = true;
      fetched = null;
      release();
    },
  };
}

function postgresCursor(store: Store, sql: string, values: unknown[]): RowCursor {
  const client = store.knex.client as unknown as KnexPoolClient;
  let conn: PoolClient | null = null;
  let cursor: Cursor | null = null;
  let done = false;
  // pg-cursor reads a fixed number of rows per round trip: start small (rows may be large), then
  // size each round trip by the rows seen so far.
  let perRead = 64;
  const release = async () => {
    const c = conn;
    conn = null;
    if (!c) return;
    try {
      await cursor?.close();
    } catch {
      // A cursor that failed leaves the connection in an unknown state: let the pool drop it.
      await client.releaseConnection(c).catch(() => undefined);
      return;
    }
    await client.releaseConnection(c);
  };
  return {
    get done() {
      return done;
    },
    async read(maxRows, maxChars) {
      const rows: StoreRow[] = [];
      let chars = 0;
      try {
        while (!done && rows.length < maxRows && chars < maxChars) {
          if (!conn) {
            conn = (await client.acquireConnection()) as PoolClient;
            cursor = conn.query(new Cursor(sql, values));
          }
          const asked = Math.max(1, Math.min(maxRows - rows.length, perRead));
          const got = (await cursor!.read(asked)) as StoreRow[];
          // pg-cursor answers fewer rows than asked only at the end of the result.
          if (got.length < asked) done = true;
          let gotChars = 0;
          for (const r of got) gotChars += approxChars(r);
          for (const r of got) rows.push(r);
          chars += gotChars;
          if (got.length > 0) perRead = Math.max(1, Math.min(1000, Math.floor(maxChars / Math.max(gotChars / got.length, 1))));
        }
        if (done) await release(); // as on SQLite: the connection is not held past the last row
        return rows;
      } catch (e) {
        done = true;
        await release();
        throw translateStoreError(e);
      }
    },
    async close() {
      done = true;
      await release();
    },
  };
}

interface MysqlConnection {
  query(sql: string, values: unknown[]): { stream(opts: { highWaterMark: number }): Readable };
  destroy(): void;
  end(cb?: (err?: Error) => void): void;
  /** knex's mark of a connection its pool must drop (checked when the connection is next acquired). */
  __knex__disposed?: Error;
}

function mysqlCursor(store: Store, sql: string, values: unknown[]): RowCursor {
  const client = store.knex.client as unknown as KnexPoolClient;
  let conn: MysqlConnection | null = null;
  let rows: AsyncIterator<StoreRow> | null = null;
  let done = false;
  // A result read to its end leaves the connection clean; one abandoned mid-way does not (the server
  // is still sending it), so that connection is destroyed and the pool drops it.
  const release = async (finished: boolean) => {
    const c = conn;
    conn = null;
    rows = null;
    if (!c) return;
    if (!finished) {
      c.destroy();
      // Dropped by the pool when next acquired; and since mysql2's end() never calls back on a
      // destroyed connection, the pool's end (at shutdown) must not wait for it.
      c.__knex__disposed = new Error('a streamed read was abandoned mid-way');
      c.end = (cb) => cb?.();
    }
    await client.releaseConnection(c).catch(() => undefined);
  };
  return {
    get done() {
      return done;
    },
    async read(maxRows, maxChars) {
      const out: StoreRow[] = [];
      let chars = 0;
      try {
        if (done) return out;
        if (!conn) {
          conn = (await client.acquireConnection()) as MysqlConnection;
          // A small buffer: rows may be large (the 96 MB-heap test reads rows of 192 KB), and the buffer is counted in rows.
          rows = conn.query(sql, values).stream({ highWaterMark: 32 })[Symbol.asyncIterator]();
        }
        while (out.length < maxRows && chars < maxChars) {
          const r = await rows!.next();
          if (r.done) {
            done = true;
            await release(true);
            break;
          }
          chars += approxChars(r.value);
          out.push(r.value);
        }
        return out;
      } catch (e) {
        done = true;
        await release(false);
        throw translateStoreError(e);
      }
    },
    async close() {
      const finished = done;
      done = true;
      await release(finished);
    },
  };
}

/** Opens a cursor over `query` on its store; nothing runs until the first read. `maxRows`: the most
 *  rows the query can answer (its LIMIT), when known. */
export function openRowCursor(store: Store, query: Knex.QueryBuilder | Knex.Raw | NativeSql, maxRows = Infinity): RowCursor {
  const { sql, bindings } = 'toSQL' in query ? query.toSQL().toNative() : query;
  if (store.dialect === 'postgres') return postgresCursor(store, sql, bindings as unknown[]);
  if (store.dialect === 'mysql') return mysqlCursor(store, sql, bindings as unknown[]);
  // The same binding conversions knex's better-sqlite3 client makes.
  const values = bindings.map((b) => (b instanceof Date ? b.valueOf() : typeof b === 'boolean' ? Number(b) : b));
  return sqliteCursor(store, sql, values, maxRows <= SQLITE_ONE_CALL_ROWS);
}
