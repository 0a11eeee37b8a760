// Keyset paging, pure: the rows strictly after a last key in a plan's order. The order always ends
// with the primary key (planRead), so a key names one position and a page never repeats or skips a
// row, whatever is inserted or updated between pages (unlike OFFSET).
// NULLs: a cursor's order places them explicitly (as PostgreSQL does by default: last ascending,
// first descending, unless the client says nullsfirst/nullslast), on every store, and the
// predicate below compares with that placement.
import type { Dialect } from '../state/open-state';
import { and, or, type Fragment, type Predicate } from './sql-fragment';

export interface KeyTerm {
  column: string;
  dir: 'asc' | 'desc';
  nulls: 'first' | 'last';
}

/** One value of a last key, as the store gave it (PostgreSQL: as text, so no precision is lost). */
export type KeyValue = string | number | boolean | null;

/** The alias under which the executor selects the i-th key column. */
export const keyAlias = (i: number) => `__mg_key_${i}`;

/** A plan's order with every NULL placement made explicit. */
export function keysetOrder(order: { column: string; dir: 'asc' | 'desc'; nulls?: 'first' | 'last' }[]): KeyTerm[] {
  return order.map((o) => ({ column: o.column, dir: o.dir, nulls: o.nulls ?? (o.dir === 'asc' ? 'last' : 'first') }));
}

/** The key columns to select beside the answer's columns, raw (never masked; they never leave in clear). */
export function keySelect(order: KeyTerm[], dialect: Dialect): Fragment[] {
  // node-postgres turns timestamps into Dates (milliseconds only) and dates into local midnights:
  // their text form binds back exactly.
  // So does MySQL's text form of a DATETIME (mysql2 reads it as a Date too).
  const sql = dialect === 'postgres' ? 'CAST(?? AS TEXT) AS ??' : dialect === 'mysql' ? 'CAST(?? AS CHAR) AS ??' : '?? AS ??';
  return order.map((o, i) => ({ sql, bindings: [o.column, keyAlias(i)] }));
}

/** Rows whose value of one term comes strictly after `v` in that term's order. */
function after(t: KeyTerm, v: KeyValue): Predicate {
  if (v === null) return t.nulls === 'first' ? { sql: '?? IS NOT NULL', bindings: [t.column] } : false;
  const beyond: Fragment = { sql: `?? ${t.dir === 'asc' ? '>' : '<'} ?`, bindings: [t.column, v] };
  return t.nulls === 'last' ? or([beyond, { sql: '?? IS NULL', bindings: [t.column] }]) : beyond;
}

function equal(t: KeyTerm, v: KeyValue): Fragment {
  return v === null ? { sql: '?? IS NULL', bindings: [t.column] } : { sql: '?? = ?', bindings: [t.column, v] };
}

/**
 * (t1 after v1) OR (t1 = v1 AND t2 after v2) OR ...: the rows after `key` in `order`.
 * `key` has one value per term (a cursor made by this gateway for the same order).
 */
export function afterKey(order: KeyTerm[], key: KeyValue[]): Predicate {
  if (key.length !== order.length) throw new Error(`a key of ${key.length} values for an order of ${order.length} terms`);
  return or(order.map((t, i) => and([...order.slice(0, i).map((p, j) => equal(p, key[j])), after(t, key[i])])));
}
