// Runs authorised writes on their store, each in one transaction: all rows or none. The caller
// passes `beforeCommit`, which records the audit entry: if that fails, the write rolls back.
import type { Knex } from 'knex';
import type { InsertPlan, UpdatePlan } from '../query/plan-write';
import { toCondition } from '../query/sql-fragment';
import type { Store } from './store-registry';
import { translateStoreError } from './translate-error';

/** SQLite allows 32766 bound parameters per statement; stay well under for any store. */
const MAX_PARAMS = 30000;

async function inTransaction<T>(store: Store, work: (trx: Knex.Transaction) => Promise<T>, beforeCommit: (result: T) => Promise<void>): Promise<T> {
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
      const perRow = Math.max(1, plan.columns.length);
      const chunk = Math.max(1, Math.floor(MAX_PARAMS / perRow));
      for (let i = 0; i < plan.rows.length; i += chunk) await trx(plan.ds.table).insert(plan.rows.slice(i, i + chunk));
      return plan.rows.length;
    },
    beforeCommit,
  );
}

export function executeUpdate(store: Store, plan: UpdatePlan, beforeCommit: (n: number) => Promise<void>): Promise<number> {
  return inTransaction(
    store,
    async (trx) => {
      const where = toCondition(plan.where);
      return trx(plan.ds.table).whereRaw(where.sql, where.bindings).update(plan.set);
    },
    beforeCommit,
  );
}
