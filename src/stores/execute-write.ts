// Runs authorised writes on their store, each in one transaction (or, on SQLite, one savepoint of a
// transaction shared with concurrent writes: write-batches.ts): all rows or none. The caller passes
// `beforeCommit`, which records the audit entry: if that fails, the write rolls back.
import type { Knex } from 'knex';
import type { InsertPlan, UpdatePlan } from '../query/plan-write';
import { keyString, type UpsertChanges, type UpsertPlan } from '../query/plan-upsert';
import { toCondition } from '../query/sql-fragment';
import { cachedStatement, onTransactionConnection } from '../state/held-statements';
import type { Store } from './store-registry';
import { translateStoreError } from './translate-error';

/** SQLite allows 32766 bound parameters per statement (PostgreSQL 65535); stay well under for any store. */
const MAX_PARAMS = 30000;
/** Keys looked up per statement when reading the stored rows of an upsert batch. */
const KEYS_PER_LOOKUP = 500;

/**
 * Inserts rows. On SQLite: one single-row statement, held prepared on the connection, run per row
 * (what a hand-written SQLite writer does: no SQL to build or prepare per batch). Elsewhere: multi-row
 * inserts in chunks, so rows x columns stays under the driver's bound-parameter limit. Either way a
 * column a row leaves out is NULL in that row, as knex writes it.
 */
async function insertChunked(store: Store, trx: Knex.Transaction, table: string, rows: Record<string, unknown>[]): Promise<void> {
  if (store.dialect === 'sqlite') return insertSqlite(trx, table, rows);
  let perRow = 1;
  for (const r of rows) perRow = Math.max(perRow, Object.keys(r).length);
  const chunk = Math.max(1, Math.floor(MAX_PARAMS / perRow));
  for (let i = 0; i < rows.length; i += chunk) await trx(table).insert(rows.slice(i, i + chunk));
}

/** A value as knex's better-sqlite3 client binds it. */
const sqliteValue = (v: unknown): unknown => (v === undefined ? null : v instanceof Date ? v.valueOf() : typeof v === 'boolean' ? Number(v) : v);

async function insertSqlite(trx: Knex.Transaction, table: string, rows: Record<string, unknown>[]): Promise<void> {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))].sort();
  const { sql } = trx(table).insert(Object.fromEntries(columns.map((c) => [c, null]))).toSQL().toNative();
  await onTransactionConnection(trx, (db) => {
    const insert = cachedStatement(db, sql);
    const values: unknown[] = new Array(columns.length);
    for (const r of rows) {
      for (let i = 0; i < columns.length; i++) values[i] = sqliteValue(r[columns[i]]);
      insert.run(values);
    }
  });
}

/** One write in one transaction: shared with concurrent writes on SQLite (write-batches.ts), its own on PostgreSQL. */
async function inTransaction<T>(store: Store, work: (trx: Knex.Transaction) => Promise<T>, beforeCommit: (result: T) => Promise<void>): Promise<T> {
  if (store.writes) return store.writes.run(work, beforeCommit);
  const trx = await store.knex.transaction();
  let result: T;
  try {
    result = await work(trx);
  } catch (e) {
    await trx.rollback().catch(() => undefined);
    throw translateStoreError(e);
  }
  try {
    await beforeCommit(result);
  } catch (e) {
    await trx.rollback().catch(() => undefined);
    throw e;
  }
  try {
    await trx.commit();
    // knex resolves commit() even when COMMIT fails (a deferred constraint, a lost connection); the failure surfaces here.
    await trx.executionPromise;
  } catch (e) {
    throw translateStoreError(e);
  }
  return result;
}

export function executeInsert(store: Store, plan: InsertPlan, beforeCommit: (n: number) => Promise<void>): Promise<number> {
  return inTransaction(
    store,
    async (trx) => {
      await insertChunked(store, trx, plan.ds.table, plan.rows);
      return plan.rows.length;
    },
    beforeCommit,
  );
}

/** `inspect` sees the stored rows the update will change (locked on PostgreSQL) before it runs: guardrails. */
export function executeUpdate(
  store: Store,
  plan: UpdatePlan,
  beforeCommit: (n: number) => Promise<void>,
  inspect?: { columns: string[]; check: (rows: Record<string, unknown>[]) => Promise<void> },
): Promise<number> {
  return inTransaction(
    store,
    async (trx) => {
      const where = toCondition(plan.where);
      if (inspect) {
        const q = trx(plan.ds.table).whereRaw(where.sql, where.bindings).select([...new Set([plan.ds.primaryKey, ...inspect.columns])]);
        await inspect.check(await (store.dialect === 'postgres' ? q.forUpdate() : q));
      }
      return trx(plan.ds.table).whereRaw(where.sql, where.bindings).update(plan.set);
    },
    beforeCommit,
  );
}

/**
 * Runs an upsert: reads the stored rows with the batch's keys (locked on PostgreSQL), lets `classify`
 * split the batch (it throws to refuse it), then inserts and updates. A dry run rolls back unwritten.
 */
export async function executeUpsert(
  store: Store,
  plan: UpsertPlan,
  opts: { classify: (stored: Map<string, Record<string, unknown>>) => UpsertChanges; dryRun: boolean; beforeCommit: (c: UpsertChanges) => Promise<void> },
): Promise<UpsertChanges> {
  const work = async (trx: Knex.Transaction): Promise<UpsertChanges> => {
    const stored = new Map<string, Record<string, unknown>>();
    for (let i = 0; i < plan.rows.length; i += KEYS_PER_LOOKUP) {
      const slice = plan.rows.slice(i, i + KEYS_PER_LOOKUP);
      const q =
        plan.key.length === 1
          ? trx(plan.ds.table).whereIn(plan.key[0], slice.map((r) => r[plan.key[0]] as Knex.Value))
          : trx(plan.ds.table).whereIn(plan.key, slice.map((r) => plan.key.map((c) => r[c] as Knex.Value)) as Knex.Value[][]);
      for (const row of await (store.dialect === 'postgres' ? q.forUpdate() : q)) stored.set(keyString(plan.ds, plan.key, row), row);
    }
    const changes = opts.classify(stored);
    if (opts.dryRun) return changes;
    await insertChunked(store, trx, plan.ds.table, changes.inserts);
    for (const u of changes.updates) await trx(plan.ds.table).where(u.where).update(u.set);
    return changes;
  };
  if (!opts.dryRun) return inTransaction(store, work, opts.beforeCommit);
  const trx = await store.knex.transaction();
  try {
    const changes = await work(trx);
    await opts.beforeCommit(changes);
    return changes;
  } catch (e) {
    throw translateStoreError(e);
  } finally {
    await trx.rollback().catch(() => undefined);
  }
}
