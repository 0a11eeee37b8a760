// Runs an authorised read plan on its store and shapes the answer: row filters are in the SQL,
// per-row visibility comes back as a flag column, masking is applied before anything leaves.
// Rows come through a cursor (row-cursor.ts), a batch at a time, never the whole answer at once.
import type { Knex } from 'knex';
import type { Masker } from '../policy/mask-value';
import { fromStoreValue, isJsonForm } from '../query/coerce-value';
import { keyAlias, type KeyValue } from '../query/keyset';
import type { ReadPlan } from '../query/plan-read';
import { or, toCondition } from '../query/sql-fragment';
import type { Dialect } from '../state/open-state';
import type { Store } from './store-registry';
import { nativeSql, type NativeSql } from './native-sql';
import { openRowCursor } from './row-cursor';

const FLAG = (c: string) => `__mg_vis_${c}`;
const SHOW_CLEAR = 1;
const SHOW_MASKED = 2;

/**
 * The plan's SELECT as one raw statement, in the driver's form. Every piece of a plan is already SQL
 * with knex placeholders (?? for catalog identifiers, ? for values), so they are joined here and knex
 * quotes and numbers them once per statement shape (native-sql.ts): its query builder took three times
 * as long for the same text (on every read).
 */
export function buildReadQuery(knex: Knex, plan: ReadPlan, dialect: Dialect): NativeSql {
  const select: string[] = [];
  const bindings: Knex.RawBinding[] = [];
  const add = (sql: string, ...values: Knex.RawBinding[]) => {
    select.push(sql);
    bindings.push(...values);
  };
  for (const c of plan.columns) {
    if (c.clear === true || (c.clear === false && c.masked === true)) {
      add('??', c.name);
    } else if (c.clear === false && c.masked === false) {
      add('NULL AS ??', c.name);
    } else {
      const clear = toCondition(c.clear);
      const masked = toCondition(c.masked);
      const any = toCondition(or([c.clear, c.masked]));
      add(`CASE WHEN ${clear.sql} THEN ${SHOW_CLEAR} WHEN ${masked.sql} THEN ${SHOW_MASKED} ELSE 0 END AS ??`, ...clear.bindings, ...masked.bindings, FLAG(c.name));
      add(`CASE WHEN ${any.sql} THEN ?? END AS ??`, ...any.bindings, c.name, c.name);
    }
  }
  for (const k of plan.keys ?? []) add(k.sql, ...k.bindings);
  let sql = `SELECT ${select.join(', ')} FROM ??`;
  bindings.push(plan.ds.table);
  if (plan.where !== true) {
    const where = toCondition(plan.where);
    sql += ` WHERE ${where.sql}`;
    bindings.push(...where.bindings);
  }
  const order: string[] = [];
  for (const o of plan.order) {
    const dir = o.dir === 'desc' ? 'DESC' : 'ASC';
    // SQLite (3.30+) and PostgreSQL take NULLS FIRST/LAST; MySQL and MariaDB do not, so there the NULL
    // placement is its own sort key first.
    if (o.nulls && dialect === 'mysql') {
      order.push(`(?? IS NULL) ${o.nulls === 'first' ? 'DESC' : 'ASC'}, ?? ${dir}`);
      bindings.push(o.column, o.column);
    } else {
      order.push(o.nulls ? `?? ${dir} NULLS ${o.nulls === 'first' ? 'FIRST' : 'LAST'}` : `?? ${dir}`);
      bindings.push(o.column);
    }
  }
  if (order.length) sql += ` ORDER BY ${order.join(', ')}`;
  sql += ' LIMIT ?';
  bindings.push(plan.limit);
  if (plan.offset > 0) {
    sql += ' OFFSET ?';
    bindings.push(plan.offset);
  }
  return nativeSql(knex, sql, bindings);
}

export interface ReadCursor {
  /** The answer's column names, in order. */
  columns: string[];
  /** Up to `maxRows` shaped rows (masked, hidden values null), fewer past about `maxChars`; [] at the end. */
  read(maxRows: number, maxChars: number): Promise<Record<string, unknown>[]>;
  /** True once every row has been read. */
  readonly done: boolean;
  close(): Promise<void>;
}

export interface KeyedReadCursor extends ReadCursor {
  /** With a keyset plan (plan.keys): the raw key of the last row read so far; null before any. */
  lastKey(): KeyValue[] | null;
}

/**
 * The one read executor: opens a cursor over an authorised read plan and shapes each row on its way
 * out (masking applied before anything leaves). Every surface that serves rows reads through here.
 */
export function openRead(store: Store, plan: ReadPlan, mask: Masker): KeyedReadCursor {
  const cursor = openRowCursor(store, buildReadQuery(store.knex, plan, store.dialect), plan.limit);
  const cols = plan.columns.map((c) => ({
    name: c.name,
    type: plan.ds.columns[c.name].type,
    flag: typeof c.clear === 'boolean' && typeof c.masked === 'boolean' ? null : FLAG(c.name),
    alwaysMasked: c.clear === false && c.masked === true,
  }));
  // A row whose every value is already its JSON form (shown in clear, no flag or key column beside it)
  // leaves as the store gave it: no copy per row. Otherwise it is rebuilt, masking applied.
  const plain = cols.every((c) => c.flag === null && !c.alwaysMasked) && !plan.keys?.length;
  const asStored = (r: Record<string, unknown>) => {
    for (const c of cols) if (!isJsonForm(c.type, r[c.name])) return false;
    return true;
  };
  const shape = (r: Record<string, unknown>) => {
    if (plain && asStored(r)) return r;
    const out: Record<string, unknown> = {};
    for (const c of cols) {
      const value = fromStoreValue(c.type, r[c.name]);
      const show = c.flag ? Number(r[c.flag]) : c.alwaysMasked ? SHOW_MASKED : SHOW_CLEAR;
      out[c.name] = show === SHOW_CLEAR ? value : show === SHOW_MASKED ? mask(value) : null;
    }
    return out;
  };
  const keys = (plan.keys ?? []).map((_, i) => keyAlias(i));
  let lastKey: KeyValue[] | null = null;
  return {
    columns: cols.map((c) => c.name),
    get done() {
      return cursor.done;
    },
    async read(maxRows, maxChars) {
      const rows = await cursor.read(maxRows, maxChars);
      const last = rows[rows.length - 1];
      if (keys.length && last) lastKey = keys.map((k) => last[k] as KeyValue);
      return rows.map(shape);
    },
    close: () => cursor.close(),
    lastKey: () => lastKey,
  };
}
