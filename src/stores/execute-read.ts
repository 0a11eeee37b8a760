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
import { openRowCursor } from './row-cursor';

const FLAG = (c: string) => `__mg_vis_${c}`;
const SHOW_CLEAR = 1;
const SHOW_MASKED = 2;

export function buildReadQuery(knex: Knex, plan: ReadPlan, dialect: Dialect): Knex.QueryBuilder {
  const q = knex(plan.ds.table);
  for (const c of plan.columns) {
    if (c.clear === true || (c.clear === false && c.masked === true)) {
      q.select(c.name);
    } else if (c.clear === false && c.masked === false) {
      q.select(knex.raw('NULL AS ??', [c.name]));
    } else {
      const clear = toCondition(c.clear);
      const masked = toCondition(c.masked);
      const any = toCondition(or([c.clear, c.masked]));
      q.select(
        knex.raw(`CASE WHEN ${clear.sql} THEN ${SHOW_CLEAR} WHEN ${masked.sql} THEN ${SHOW_MASKED} ELSE 0 END AS ??`, [
          ...clear.bindings,
          ...masked.bindings,
          FLAG(c.name),
        ]),
        knex.raw(`CASE WHEN ${any.sql} THEN ?? END AS ??`, [...any.bindings, c.name, c.name]),
      );
    }
  }
  const where = toCondition(plan.where);
  if (plan.where !== true) q.whereRaw(where.sql, where.bindings);
  for (const k of plan.keys ?? []) q.select(knex.raw(k.sql, k.bindings));
  for (const o of plan.order) {
    // Spelled out: knex's SQLite compiler turns orderBy(column, dir, nulls) into ORDER BY (column IS NULL) dir,
    // which drops the column itself. SQLite (3.30+) and PostgreSQL both take NULLS FIRST/LAST; MySQL and
    // MariaDB do not, so there the NULL placement is its own sort key first.
    if (o.nulls && dialect === 'mysql') q.orderByRaw(`(?? IS NULL) ${o.nulls === 'first' ? 'DESC' : 'ASC'}, ?? ${o.dir === 'desc' ? 'DESC' : 'ASC'}`, [o.column, o.column]);
    else if (o.nulls) q.orderByRaw(`?? ${o.dir === 'desc' ? 'DESC' : 'ASC'} NULLS ${o.nulls === 'first' ? 'FIRST' : 'LAST'}`, [o.column]);
    else q.orderBy(o.column, o.dir);
  }
  return q.limit(plan.limit).offset(plan.offset);
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
  const cursor = openRowCursor(store, buildReadQuery(store.knex, plan, store.dialect));
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
