// A share's definition checked against the catalog (pure): which datasets, which columns (never a
// confidential one), which rows (the row API's filter syntax, compiled to the CASL conditions the
// planner already turns into SQL), and which pii columns are shared in clear.
import crypto from 'node:crypto';
import { z } from 'zod';
import { fail } from '../errors';
import { parseFilter } from '../http/parse-query';
import type { DatasetInfo, Policies } from '../policy/load-policies';
import type { RowConditions } from '../policy/policy-schema';
import { toStoreValue } from '../query/coerce-value';
import type { Filter } from '../query/query-spec';
import { MAX_REASON } from '../grants/use-case';
import type { ShareTable } from './share-types';

/** Share, table and recipient names: lower case (the protocol compares names case-insensitively). */
export const SHARE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const name = z.string().regex(SHARE_NAME, 'must be lower case letters, digits and _, starting with a letter (at most 64)');
const column = z.string().min(1).max(64);

export const ShareTableBody = z.strictObject({
  dataset: z.string().min(1).max(64),
  alias: name.optional(),
  columns: z.array(column).min(1).max(500).optional(),
  // As entries, then an object of own properties: a record would drop a `__proto__` key silently.
  rows: z
    .preprocess((v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v) : v), z.array(z.tuple([column, z.string().max(4096)])).max(100))
    .transform((entries) => Object.fromEntries(entries))
    .optional(),
  /** pii columns to share in clear (only the domain's steward may). */
  clear: z.array(column).max(500).optional(),
});

export const NewShareBody = z.strictObject({
  name,
  domain: z.string().min(1).max(64),
  tables: z.array(ShareTableBody).min(1).max(100),
  reason: z.string().max(MAX_REASON).optional(),
});
export type NewShareInput = z.infer<typeof NewShareBody>;

const confidential = (ds: DatasetInfo, c: string) =>
  fail('column_confidential', `column ${c} of ${ds.key} is confidential; confidential columns are never shared`, { column: c });

function knownColumn(ds: DatasetInfo, c: string): void {
  if (!ds.columns[c]) throw fail('unknown_column', `${ds.key} has no column ${c}`, { column: c });
}

/** Typed JS values for a condition (CASL conditions are compared as the store binds them). */
function typed(ds: DatasetInfo, c: string, text: string): string | number | boolean {
  const type = ds.columns[c].type;
  toStoreValue(c, type, text, 'postgres', true); // throws invalid_value if the text is no value of the column's type
  if (type === 'integer' || type === 'decimal') return Number(text);
  if (type === 'boolean') return text === 'true';
  return text;
}

const NEGATE: Record<string, string> = { $eq: '$ne', $ne: '$eq', $gt: '$lte', $gte: '$lt', $lt: '$gte', $lte: '$gt', $in: '$nin' };

function filterCondition(ds: DatasetInfo, f: Filter): Record<string, unknown> {
  let op: string;
  let value: unknown;
  switch (f.op) {
    case 'like':
    case 'ilike':
      throw fail('invalid_filter', `a share's row filter takes eq, neq, gt, gte, lt, lte, in and is; not ${f.op}`, { column: f.column });
    case 'in':
      op = '$in';
      value = (f.value as string[]).map((v) => typed(ds, f.column, v));
      break;
    case 'is':
      op = '$eq';
      if (f.value !== null && ds.columns[f.column].type !== 'boolean') throw fail('invalid_filter', `is.true and is.false apply to boolean columns; ${f.column} is not one`, { column: f.column });
      value = f.value;
      break;
    default:
      op = { eq: '$eq', neq: '$ne', gt: '$gt', gte: '$gte', lt: '$lt', lte: '$lte' }[f.op];
      value = typed(ds, f.column, String(f.value));
  }
  // NOT (c > v) and c <= v leave out the same rows (a NULL satisfies neither), so a negation is its opposite.
  return { [f.negated ? NEGATE[op] : op]: value };
}

/** A table's row filter (`{ region: "eq.EU" }`) as CASL conditions; undefined when it has none. */
export function rowConditions(ds: DatasetInfo, rows: Record<string, string>): RowConditions | undefined {
  const entries = Object.entries(rows);
  if (entries.length === 0) return undefined;
  const out: Record<string, unknown> = {};
  for (const [c, raw] of entries) {
    knownColumn(ds, c);
    if (ds.columns[c].classification === 'confidential') throw confidential(ds, c);
    out[c] = filterCondition(ds, parseFilter(c, raw));
  }
  return out as RowConditions;
}

export interface PlannedTable {
  table: ShareTable;
  ds: DatasetInfo;
}

/** The share's tables checked against the catalog; who may clear which column is the use case's question. */
export function planShareTables(policies: Policies, domain: string, tables: NewShareInput['tables']): PlannedTable[] {
  const names = new Set<string>();
  return tables.map((t) => {
    const ds = policies.datasets.get(`${domain}.${t.dataset}`);
    if (!ds) throw fail('dataset_not_found', `domain ${domain} has no dataset ${t.dataset}`);
    const tableName = t.alias ?? t.dataset.toLowerCase();
    if (!SHARE_NAME.test(tableName)) throw fail('invalid_body', `tables: ${t.dataset} needs an alias of lower case letters, digits and _`);
    if (names.has(tableName)) throw fail('invalid_body', `tables: two tables are named ${tableName}; give one an alias`);
    names.add(tableName);
    for (const c of t.columns ?? []) {
      knownColumn(ds, c);
      if (ds.columns[c].classification === 'confidential') throw confidential(ds, c);
    }
    const asked = new Set(t.columns ?? ds.columnNames.filter((c) => ds.columns[c].classification !== 'confidential'));
    const columns = ds.columnNames.filter((c) => asked.has(c));
    const rows = t.rows ?? {};
    rowConditions(ds, rows); // refuses a filter that does not compile
    const clear = [...new Set(t.clear ?? [])];
    for (const c of clear) {
      if (!columns.includes(c)) throw fail('invalid_body', `tables: clear names ${c}, which is not a column of the shared table ${tableName}`, { column: c });
      if (ds.columns[c].classification !== 'pii') throw fail('invalid_body', `tables: clear names ${c}, which is not a pii column (only pii columns are masked)`, { column: c });
    }
    return { ds, table: { id: crypto.randomUUID(), dataset: ds.name, name: tableName, columns, rows: { ...rows }, clear } };
  });
}
