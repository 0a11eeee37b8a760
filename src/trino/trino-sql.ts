// Row filters and column masks as Trino SQL expressions, from the same CASL rules the gateway's own
// planner reads (query/rule-predicate.ts, with Trino's spelling of names and values). Trino receives
// text, not bindings, so every value is written as a typed literal with its quotes doubled, and every
// name as a quoted identifier from the catalog; no value is ever pasted in as it came.
import { READ_MASKED, type AppAbility } from '../policy/build-ability';
import type { DatasetInfo } from '../policy/load-policies';
import type { ColumnType } from '../policy/policy-schema';
import { toStoreValue } from '../query/coerce-value';
import { rulesPredicate, type ConditionRendering } from '../query/rule-predicate';
import { or, samePredicate, type Predicate } from '../query/sql-fragment';

/** A quoted Trino identifier: "name", a double quote inside doubled. */
export const trinoIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** A Trino string literal: standard SQL, so doubling the quote is the only escape there is. */
export const trinoString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** A policy value as a Trino literal of the column's type (validated as the gateway validates it). */
export function trinoLiteral(column: string, type: ColumnType, value: unknown): string {
  const v = toStoreValue(column, type, value, 'postgres');
  if (v === null) return 'NULL';
  switch (type) {
    case 'integer':
      return String(v);
    case 'decimal': {
      const text = String(v);
      return /^-?\d+(\.\d+)?$/.test(text) ? text : `CAST(${trinoString(text)} AS DOUBLE)`;
    }
    case 'boolean':
      return v ? 'TRUE' : 'FALSE';
    case 'date':
      return `DATE ${trinoString(String(v))}`;
    case 'timestamp':
      return `from_iso8601_timestamp(${trinoString(String(v))})`;
    case 'text':
      return trinoString(String(v));
  }
}

const trinoRendering: ConditionRendering = {
  column: (column) => ({ sql: trinoIdent(column), bindings: [] }),
  value: (column, type, value) => ({ sql: trinoLiteral(column, type, value), bindings: [] }),
};

const asTrino = (p: Predicate): string => (p === true ? 'true' : p === false ? 'false' : p.sql);

/** The rows on which `field` may be read in clear. */
const clearRows = (ability: AppAbility, ds: DatasetInfo, field: string): Predicate => rulesPredicate(ability, 'read', ds, trinoRendering, field);

/** The rows on which some column may be read, in clear or masked: undefined when every row may. */
export function rowFilterOf(ability: AppAbility, ds: DatasetInfo): string | undefined {
  const p = visibleRows(ability, ds);
  return p === true ? undefined : asTrino(p);
}

function visibleRows(ability: AppAbility, ds: DatasetInfo): Predicate {
  const perColumn = ds.columnNames.flatMap((c) => [clearRows(ability, ds, c), rulesPredicate(ability, READ_MASKED, ds, trinoRendering, c)]);
  // Columns granted by the same rule share its predicate: each distinct predicate once.
  return or(perColumn.filter((p, i) => perColumn.findIndex((q) => samePredicate(p, q)) === i));
}

/** Trino's display name of a type (`varchar`, `varchar(255)`, `decimal(12,2)`, `timestamp(3) with time zone`). */
const TYPE_NAME = /^[a-z][a-z0-9_ ]{0,63}(\(\d{1,5}(, ?\d{1,5})?\))?( with(out)? time zone)?$/i;

/** NULL of the column's type (Trino checks a mask's type against the column's); plain NULL for a type we do not recognise. */
export const nullOf = (trinoType: string): string => (TYPE_NAME.test(trinoType) ? `CAST(NULL AS ${trinoType})` : 'NULL');

/**
 * The mask of one column of `ds`, or undefined when it needs none: NULL where it may not be read in
 * clear (masked, denied or unknown columns: a masked value is never revealed, not even as a token
 * or a digest, see the README), the value only on the rows whose rule grants it in clear.
 */
export function columnMaskOf(ability: AppAbility, ds: DatasetInfo, column: string | undefined, trinoType: string): string | undefined {
  if (column === undefined) return nullOf(trinoType);
  const clear = clearRows(ability, ds, column);
  if (clear === true) return undefined;
  if (clear === false) return nullOf(trinoType);
  // Rows are already cut to visibleRows by the row filter: a column clear on all of them needs no mask.
  if (samePredicate(clear, visibleRows(ability, ds))) return undefined;
  return `CASE WHEN ${clear.sql} THEN ${trinoIdent(column)} END`;
}

/** Whether `action` on `column` holds on every row (no row condition): Trino cannot check a write's rows against them. */
export function unconditional(ability: AppAbility, ds: DatasetInfo, action: 'insert' | 'update', column: string): boolean {
  return rulesPredicate(ability, action, ds, trinoRendering, column) === true;
}
