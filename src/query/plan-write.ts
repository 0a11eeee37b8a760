// Insert and update requests + ability -> authorised, typed writes. Pure: every column is checked
// against the catalog and the caller's rules before anything reaches a store.
import { subject } from '@casl/ability';
import { z } from 'zod';
import { fail } from '../errors';
import { authorizeDataset } from '../policy/authorize';
import { grantOfRule, type AppAbility } from '../policy/build-ability';
import type { DatasetInfo } from '../policy/load-policies';
import type { Dialect } from '../state/open-state';
import { toStoreValue } from './coerce-value';
import { checkColumn, filterToSql, fingerprintOf } from './plan-read';
import type { Filter } from './query-spec';
import { rulePredicate } from './rule-predicate';
import { and, type Predicate } from './sql-fragment';

export const MAX_ROWS_PER_WRITE = 10000;

const Row = z.record(z.string(), z.unknown());
/** A row of an insert: checked, not copied (a 10,000-row batch would otherwise be copied once more). */
const InsertRow = z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'Invalid input: expected an object (a row)');
export const InsertBody = z.strictObject({ rows: z.array(InsertRow).min(1).max(MAX_ROWS_PER_WRITE) });
export const UpdateBody = z.strictObject({ set: Row.refine((s) => Object.keys(s).length > 0, 'set names no column') });

export interface InsertPlan {
  ds: DatasetInfo;
  rows: Record<string, unknown>[];
  columns: string[];
  grantIds: string[];
}

export interface UpdatePlan {
  ds: DatasetInfo;
  set: Record<string, unknown>;
  where: Predicate;
  columns: string[];
  fingerprint: string;
  grantIds: string[];
  /** An update rule for the written columns has row conditions: each row is checked as it will be after the write. */
  rowScoped: boolean;
}

export function requireAction(ability: AppAbility, ds: DatasetInfo, action: 'insert' | 'update'): void {
  authorizeDataset(ability, action, ds);
}

export function knownColumn(ds: DatasetInfo, column: string, where: string): void {
  if (!ds.columns[column]) throw fail('unknown_column', `${where}: ${ds.key} has no column ${column}`, { column });
}

/** The grants whose rules allow `actions` on `columns`: the ones an audit entry names. */
export function grantsFor(ability: AppAbility, actions: string[], ds: DatasetInfo, columns: string[]): string[] {
  const ids = actions.flatMap((a) => columns.flatMap((c) => ability.rulesFor(a, ds.subjectType, c).filter((r) => !r.inverted).map((r) => grantOfRule(r))));
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

const requiredColumns = new WeakMap<DatasetInfo, string[]>();

/** A new row must carry every column that may not be null. */
export function requireColumns(ds: DatasetInfo, row: Record<string, unknown>, where: string): void {
  let required = requiredColumns.get(ds);
  if (!required) requiredColumns.set(ds, (required = Object.entries(ds.columns).filter(([, def]) => !def.nullable).map(([c]) => c)));
  for (const c of required) {
    if (row[c] === undefined || row[c] === null) throw fail('invalid_value', `${where}: column ${c} is required`, { column: c });
  }
}

/**
 * Whether the caller may `action` `column` of a row, asked once per column where no rule for it has
 * conditions (the answer is then the same for every row), and per row only where one has.
 */
export function columnPermission(ability: AppAbility, action: 'insert' | 'update', ds: DatasetInfo): (column: string, asSubject: () => object) => boolean {
  const sameForEveryRow = new Map<string, boolean | null>();
  return (column, asSubject) => {
    let decided = sameForEveryRow.get(column);
    if (decided === undefined) {
      const rowDependent = ability.rulesFor(action, ds.subjectType, column).some((r) => r.conditions !== undefined);
      decided = rowDependent ? null : ability.can(action, ds.subjectType, column);
      sameForEveryRow.set(column, decided);
    }
    return decided ?? ability.can(action, asSubject() as never, column);
  };
}

export function planInsert(ability: AppAbility, ds: DatasetInfo, body: z.infer<typeof InsertBody>, dialect: Dialect): InsertPlan {
  requireAction(ability, ds, 'insert');
  const columns = new Set<string>();
  const may = columnPermission(ability, 'insert', ds);
  const rows = body.rows.map((row, i) => {
    const out: Record<string, unknown> = {};
    let asSubject: object | undefined;
    const rowSubject = () => (asSubject ??= subject(ds.subjectType, { ...row }));
    for (const column of Object.keys(row)) {
      const value = row[column];
      knownColumn(ds, column, `rows[${i}]`);
      if (!may(column, rowSubject)) {
        throw fail('column_denied', `rows[${i}]: you may not write column ${column} of ${ds.key}${ability.can('insert', ds.subjectType, column) ? ' with these values' : ''}`, { column });
      }
      out[column] = toStoreValue(column, ds.columns[column].type, value, dialect);
      columns.add(column);
    }
    requireColumns(ds, out, `rows[${i}]`);
    return out;
  });
  return { ds, rows, columns: [...columns], grantIds: grantsFor(ability, ['insert'], ds, [...columns]) };
}

export function planUpdate(
  ability: AppAbility,
  ds: DatasetInfo,
  filters: Filter[],
  body: z.infer<typeof UpdateBody>,
  dialect: Dialect,
): UpdatePlan {
  requireAction(ability, ds, 'update');
  if (filters.length === 0) throw fail('filter_required', 'an update needs at least one filter, for example ?id=eq.42');
  for (const f of filters) checkColumn(ability, ds, f.column, 'filter');
  const set: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(body.set)) {
    knownColumn(ds, column, 'set');
    if (!ability.can('update', ds.subjectType, column)) throw fail('column_denied', `you may not write column ${column} of ${ds.key}`, { column });
    if (column === ds.primaryKey) throw fail('invalid_body', `the primary key ${column} cannot be updated`);
    const def = ds.columns[column];
    if (!def.nullable && value === null) throw fail('invalid_value', `column ${column} is required`, { column });
    set[column] = toStoreValue(column, def.type, value, dialect);
  }
  const columns = Object.keys(set);
  // Only rows on which every written column may be updated (as stored; after the write: write-check.ts).
  const where = and([...columns.map((c) => rulePredicate(ability, 'update', ds, dialect, c)), ...filters.map((f) => filterToSql(f, ds, dialect))]);
  const rowScoped = columns.some((c) => ability.rulesFor('update', ds.subjectType, c).some((r) => r.conditions !== undefined));
  return { ds, set, where, columns, fingerprint: fingerprintOf({ filters, order: [] }, columns), grantIds: grantsFor(ability, ['update'], ds, columns), rowScoped };
}
