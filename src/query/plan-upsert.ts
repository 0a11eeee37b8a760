// Batch upserts (?on_conflict=<key>), pure: planUpsert checks and types the rows; classifyUpsert,
// given the stored rows with the same keys (read inside the write transaction), splits the batch
// into inserts, updates and unchanged rows, with the same column permissions as insert and PATCH and
// the row checks of write-check.ts: a column the writer cannot read in clear always counts as changed.
import { subject } from '@casl/ability';
import type { Knex } from 'knex';
import type { z } from 'zod';
import { fail } from '../errors';
import { authorizeDataset } from '../policy/authorize';
import type { AppAbility } from '../policy/build-ability';
import { columnVisibility } from '../policy/decide-columns';
import type { DatasetInfo } from '../policy/load-policies';
import type { Dialect } from '../state/open-state';
import { fromStoreValue, toStoreValue } from './coerce-value';
import { grantsFor, knownColumn, requireColumns, type InsertBody } from './plan-write';
import { checkRowUpdate, clearValues, storedRow } from './write-check';

export interface UpsertPlan {
  ds: DatasetInfo;
  /** The conflict target: the primary key or a declared unique key. `insert` mode: the primary key. */
  key: string[];
  mode: 'insert' | 'upsert';
  /** Typed as the store binds them; `raw` keeps the JSON values for CASL conditions. */
  rows: Record<string, Knex.Value>[];
  raw: Record<string, unknown>[];
  columns: string[];
  grantIds: string[];
}

export interface RowUpdate {
  index: number;
  where: Record<string, Knex.Value>;
  set: Record<string, Knex.Value>;
  /**
   * The stored values (JSON form) the writer reads in clear on the row: a column left out of them is
   * one the writer may not compare with, and the JSON form of what is written (the changed columns).
   */
  before: Record<string, unknown>;
  after: Record<string, unknown>;
}

export interface UpsertChanges {
  inserts: Record<string, Knex.Value>[];
  updates: RowUpdate[];
  unchanged: number;
}

export function parseConflictTarget(ds: DatasetInfo, onConflict: string): string[] {
  const key = onConflict.split(',').map((s) => s.trim());
  const same = (k: string[]) => k.length === key.length && k.every((c) => key.includes(c));
  if (same([ds.primaryKey]) || (ds.uniqueKeys ?? []).some(same)) return key;
  const keys = [ds.primaryKey, ...(ds.uniqueKeys ?? []).map((k) => k.join(','))];
  throw fail('bad_request', `on_conflict must name the primary key or a declared unique key of ${ds.key}: ${keys.join(' or ')}`, { parameter: 'on_conflict' });
}

/** The key of a row as a string, the same for a stored row and a row of the batch. */
export function keyString(ds: DatasetInfo, key: string[], row: Record<string, unknown>): string {
  return JSON.stringify(key.map((c) => fromStoreValue(ds.columns[c].type, row[c])));
}

export function planUpsert(ability: AppAbility, ds: DatasetInfo, body: z.infer<typeof InsertBody>, key: string[], mode: 'insert' | 'upsert', dialect: Dialect): UpsertPlan {
  const may = (action: string, c: string) => ability.can(action, ds.subjectType, c);
  authorizeDataset(ability, mode === 'upsert' ? ['insert', 'update'] : 'insert', ds);
  // Which keys are stored would otherwise be an oracle for a key column read masked or not at all.
  for (const c of mode === 'upsert' ? key : []) {
    const v = columnVisibility(ability, ds, c);
    if (v === 'clear') continue;
    const missing = `read ${ds.key}.${c}${v === 'masked' ? ' unmasked' : ''}`;
    throw fail(v === 'masked' ? 'column_masked' : 'column_denied', `on_conflict: you do not read ${c} of ${ds.key} in clear, so you may not upsert on it`, { column: c, missing });
  }
  const columns = new Set<string>();
  const seen = new Map<string, number>();
  const rows = body.rows.map((row, i) => {
    const out: Record<string, Knex.Value> = {};
    for (const [column, value] of Object.entries(row)) {
      knownColumn(ds, column, `rows[${i}]`);
      if (!may('insert', column) && !(mode === 'upsert' && may('update', column))) {
        throw fail('column_denied', `rows[${i}]: you may not write column ${column} of ${ds.key}`, { column });
      }
      out[column] = toStoreValue(column, ds.columns[column].type, value, dialect);
      columns.add(column);
    }
    for (const c of key) if (out[c] === undefined || out[c] === null) throw fail('invalid_value', `rows[${i}]: the key column ${c} is required`, { column: c });
    const k = keyString(ds, key, out);
    if (seen.has(k)) throw fail('invalid_body', `rows[${i}] has the same key as rows[${seen.get(k)}]; a batch names each row once`);
    seen.set(k, i);
    return out;
  });
  return { ds, key, mode, rows, raw: body.rows, columns: [...columns], grantIds: grantsFor(ability, ['insert', 'update'], ds, [...columns]) };
}

export function classifyUpsert(ability: AppAbility, plan: UpsertPlan, stored: Map<string, Record<string, unknown>>): UpsertChanges {
  const { ds } = plan;
  const changes: UpsertChanges = { inserts: [], updates: [], unchanged: 0 };
  plan.rows.forEach((row, i) => {
    const existing = stored.get(keyString(ds, plan.key, row));
    if (!existing) {
      const asSubject = subject(ds.subjectType, { ...plan.raw[i] });
      for (const column of Object.keys(row)) {
        if (!ability.can('insert', asSubject, column)) throw fail('column_denied', `rows[${i}]: you may not insert column ${column} of ${ds.key}`, { column });
      }
      requireColumns(ds, row, `rows[${i}]`);
      changes.inserts.push(row);
      return;
    }
    if (plan.mode === 'insert') throw fail('conflict', `rows[${i}]: a row with the same key already exists; nothing was written`);
    // First what does not depend on the stored row, then the row's own rules (before and after the
    // write), and only then a comparison, of the values the writer reads in clear on it.
    const columns = Object.keys(row).filter((c) => !plan.key.includes(c) && c !== ds.primaryKey);
    for (const column of columns) {
      if (!ability.can('update', ds.subjectType, column)) throw fail('column_denied', `rows[${i}]: you may not update column ${column} of ${ds.key}`, { column });
      if (!ds.columns[column].nullable && row[column] === null) throw fail('invalid_value', `rows[${i}]: column ${column} is required`, { column });
    }
    const before = storedRow(ds, existing);
    const values = Object.fromEntries(Object.keys(row).map((c) => [c, fromStoreValue(ds.columns[c].type, row[c])]));
    checkRowUpdate(ability, ds, before, values, columns, `rows[${i}]`);
    const clear = clearValues(ability, ds, before);
    const same = (c: string) => Object.hasOwn(clear, c) && JSON.stringify(values[c]) === JSON.stringify(clear[c]);
    // Given on a unique-key conflict, the primary key must be the stored one.
    if (Object.hasOwn(row, ds.primaryKey) && !plan.key.includes(ds.primaryKey) && !same(ds.primaryKey)) {
      throw fail('invalid_body', `rows[${i}]: the primary key ${ds.primaryKey} cannot be updated`);
    }
    const changed = columns.filter((c) => !same(c));
    if (changed.length === 0) changes.unchanged += 1;
    else {
      changes.updates.push({
        index: i,
        where: Object.fromEntries(plan.key.map((c) => [c, row[c]])),
        set: Object.fromEntries(changed.map((c) => [c, row[c]])),
        before: clear,
        after: Object.fromEntries(changed.map((c) => [c, values[c]])),
      });
    }
  });
  return changes;
}
