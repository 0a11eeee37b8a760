// Query string -> QuerySpec, PostgREST style: select=a,b; col=op.value; order=a.asc,b.desc; limit; offset.
// Pure: names are checked against the catalog later, by the planner.
import { fail } from '../errors';
import { ALL_ROWS, DEFAULT_LIMIT, FILTER_OPS, MAX_LIMIT, type Filter, type FilterOp, type OrderTerm, type QuerySpec } from '../query/query-spec';

type Query = Record<string, unknown>;

const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fail('bad_request', `${name} may be given once, as text`);
  return v;
};

function intParam(q: Query, name: string, dflt: number, max: number): number {
  const v = one(q, name);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v)) throw fail('bad_request', `${name} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n > max) throw fail('bad_request', `${name} is at most ${max}`);
  return n;
}

/** Splits `a,"b,c",d` on commas outside double quotes, unquoting. */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === '\\' && quoted && i + 1 < text.length) cur += text[++i];
    else if (ch === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (quoted) throw fail('invalid_filter', 'unbalanced double quote in an in.(...) list');
  out.push(cur);
  return out;
}

export function parseFilter(column: string, raw: string): Filter {
  let rest = raw;
  let negated = false;
  if (rest.startsWith('not.')) {
    negated = true;
    rest = rest.slice(4);
  }
  const dot = rest.indexOf('.');
  const op = (dot < 0 ? rest : rest.slice(0, dot)) as FilterOp;
  if (dot < 0 || !FILTER_OPS.includes(op)) {
    throw fail('invalid_filter', `filter on ${column} must look like op.value with op one of ${FILTER_OPS.join(', ')}`);
  }
  const text = rest.slice(dot + 1);
  if (op === 'in') {
    if (!/^\(.*\)$/s.test(text)) throw fail('invalid_filter', `in takes a list: ${column}=in.(a,b)`);
    const list = splitList(text.slice(1, -1));
    if (list.length > 1000) throw fail('invalid_filter', 'in takes at most 1000 values');
    return { column, op, negated, value: list };
  }
  if (op === 'is') {
    const v = ({ null: null, true: true, false: false } as Record<string, null | boolean>)[text];
    if (v === undefined) throw fail('invalid_filter', `is takes null, true or false (${column}=is.null)`);
    return { column, op, negated, value: v };
  }
  return { column, op, negated, value: text };
}

/** Sort keys per read: ties already break on the primary key, so more than this names nothing new. */
export const MAX_ORDER_TERMS = 32;
/** Values bound across all filters of one read (in.(...) lists included): far under every store's bound-parameter limit. */
export const MAX_FILTER_VALUES = 5000;

function parseOrder(text: string): OrderTerm[] {
  const terms = text.split(',');
  if (terms.length > MAX_ORDER_TERMS) throw fail('too_many_parameters', `order has ${terms.length} terms; at most ${MAX_ORDER_TERMS}`, { parameter: 'order', limit: MAX_ORDER_TERMS });
  return terms.map((term) => {
    const [column, ...mods] = term.trim().split('.');
    const t: OrderTerm = { column, dir: 'asc' };
    for (const m of mods) {
      if (m === 'asc' || m === 'desc') t.dir = m;
      else if (m === 'nullsfirst') t.nulls = 'first';
      else if (m === 'nullslast') t.nulls = 'last';
      else throw fail('bad_request', `order term "${term}": use column.asc or column.desc (optionally .nullsfirst/.nullslast)`);
    }
    if (!column) throw fail('bad_request', `order term "${term}" names no column`);
    return t;
  });
}

/**
 * Parses a read or update query. `columns` are the dataset's columns (any other name is an unknown
 * parameter); `reserved` are the extra parameter names the route accepts (for example on_conflict).
 * A `bulk` read (CSV, NDJSON, Arrow, Parquet) has no limit unless it gives one, and no upper bound on it.
 */
export function parseQuery(q: Query, columns: readonly string[], reserved: readonly string[] = [], opts: { bulk?: boolean } = {}): QuerySpec & { params: Record<string, string> } {
  const select = one(q, 'select');
  const order = one(q, 'order');
  const filters: Filter[] = [];
  const params: Record<string, string> = {};
  for (const [name, v] of Object.entries(q)) {
    if (['select', 'order', 'limit', 'offset'].includes(name)) continue;
    if (reserved.includes(name)) {
      params[name] = one(q, name)!;
      continue;
    }
    if (!columns.includes(name)) throw fail('unknown_parameter', `unknown query parameter ${name}: not a column of this dataset, nor one of select, order, limit, offset${reserved.map((r) => `, ${r}`).join('')}`, { parameter: name });
    const values = Array.isArray(v) ? v : [v];
    for (const raw of values) {
      if (typeof raw !== 'string') throw fail('bad_request', `parameter ${name} must be text`);
      filters.push(parseFilter(name, raw));
    }
  }
  const values = filters.reduce((n, f) => n + (Array.isArray(f.value) ? f.value.length : 1), 0);
  if (values > MAX_FILTER_VALUES) throw fail('too_many_parameters', `the filters bind ${values} values; at most ${MAX_FILTER_VALUES}`, { limit: MAX_FILTER_VALUES });
  return {
    select: select === undefined ? undefined : select.split(',').map((s) => s.trim()).filter(Boolean),
    filters,
    order: order ? parseOrder(order) : [],
    limit: opts.bulk ? intParam(q, 'limit', ALL_ROWS, ALL_ROWS) : intParam(q, 'limit', DEFAULT_LIMIT, MAX_LIMIT),
    offset: intParam(q, 'offset', 0, Number.MAX_SAFE_INTEGER),
    params,
  };
}

/** Keyset paging's reserved parameters (read-page.ts): a page size, or the cursor of the next page. */
export const PAGE_PARAMS = ['page_size', 'cursor'] as const;

/** page_size: a whole number from 1 to MAX_LIMIT. */
export function parsePageSize(q: Query): number {
  const n = intParam(q, 'page_size', DEFAULT_LIMIT, MAX_LIMIT);
  if (n < 1) throw fail('bad_request', 'page_size is at least 1', { parameter: 'page_size' });
  return n;
}
