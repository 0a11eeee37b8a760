// QuerySpec + ability -> an authorised read plan. Pure: decides columns, row filter and per-row
// column visibility, and says why a request is refused; the SQL runs elsewhere.
// A column is returned on a row only where a rule granting that column matches the row (Directus'
// approach): when rules with different row conditions apply, each column gets a CASE.
import { fail } from '../errors';
import { READ_MASKED, grantOfRule, type AppAbility } from '../policy/build-ability';
import { authorizeDataset } from '../policy/authorize';
import { columnVisibility, type ColumnVisibility } from '../policy/decide-columns';
import type { DatasetInfo } from '../policy/load-policies';
import type { Dialect } from '../state/open-state';
import { toStoreValue } from './coerce-value';
import { afterKey, keySelect, keysetOrder, type KeyValue } from './keyset';
import type { Filter, QuerySpec } from './query-spec';
import { rulePredicate } from './rule-predicate';
import { and, not, or, samePredicate, type Fragment, type Predicate } from './sql-fragment';

export interface PlannedColumn {
  name: string;
  /** Rows on which the value is shown in clear, and rows on which it is shown masked. */
  clear: Predicate;
  masked: Predicate;
}

export interface ReadPlan {
  ds: DatasetInfo;
  columns: PlannedColumn[];
  where: Predicate;
  order: { column: string; dir: 'asc' | 'desc'; nulls?: 'first' | 'last' }[];
  limit: number;
  offset: number;
  /** The query with values replaced by placeholders, for the audit log. */
  fingerprint: string;
  grantIds: string[];
  /** Keyset paging: the key columns the executor selects beside the answer (keyset.ts). */
  keys?: Fragment[];
}

/** A keyset page: the plan selects its key columns, and reads after `after` (the previous page's last key). */
export interface PageOptions {
  after: KeyValue[] | null;
}

export function checkColumn(ability: AppAbility, ds: DatasetInfo, column: string, use: 'select' | 'filter' | 'order'): void {
  refuseColumn(ds, column, Object.hasOwn(ds.columns, column) ? columnVisibility(ability, ds, column) : undefined, use);
}

/** Throws the refusal for a column of `ds` shown as `v` (undefined: not a column of it) and used as `use`, if it may not be. */
function refuseColumn(ds: DatasetInfo, column: string, v: ColumnVisibility | undefined, use: 'select' | 'filter' | 'order'): void {
  if (v === undefined) throw fail('unknown_column', `${ds.key} has no column ${column}`, { column });
  if (v === 'denied') {
    throw fail('column_denied', `you may not ${use === 'select' ? 'read' : `${use} on`} column ${column} of ${ds.key}`, {
      column,
      missing: `read ${ds.key}.${column}`,
    });
  }
  if (v === 'masked' && use !== 'select') {
    throw fail('column_masked', `column ${column} of ${ds.key} is masked for you, so you may not ${use} on it`, { column, missing: `read ${ds.key}.${column} unmasked` });
  }
}

export function filterToSql(f: Filter, ds: DatasetInfo, dialect: Dialect): Fragment {
  const type = ds.columns[f.column].type;
  const v = (x: unknown) => toStoreValue(f.column, type, x, dialect, true);
  let frag: Fragment;
  switch (f.op) {
    case 'is':
      frag =
        f.value === null
          ? { sql: '?? IS NULL', bindings: [f.column] }
          : { sql: '?? = ?', bindings: [f.column, toStoreValue(f.column, 'boolean', String(f.value), dialect, true)] };
      break;
    case 'in': {
      const list = (f.value as string[]).map(v);
      frag = { sql: `?? IN (${list.map(() => '?').join(', ')})`, bindings: [f.column, ...list] };
      break;
    }
    case 'like':
    case 'ilike': {
      if (type !== 'text') throw fail('invalid_filter', `${f.op} applies to text columns; ${f.column} is ${type}`);
      // PostgREST accepts * as the wildcard, which needs no URL escaping.
      const pattern = String(f.value).replace(/\*/g, '%');
      frag = f.op === 'like' ? { sql: '?? LIKE ?', bindings: [f.column, pattern] } : { sql: 'LOWER(??) LIKE LOWER(?)', bindings: [f.column, pattern] };
      break;
    }
    default: {
      const op = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }[f.op];
      frag = { sql: `?? ${op} ?`, bindings: [f.column, v(f.value)] };
    }
  }
  return f.negated ? { sql: `NOT (${frag.sql})`, bindings: frag.bindings } : frag;
}

export function fingerprintOf(spec: Pick<QuerySpec, 'select' | 'filters' | 'order'>, selected: string[]): string {
  const filters = spec.filters.map((f) => `${f.column}=${f.negated ? 'not.' : ''}${f.op}.?`).sort();
  const order = spec.order.map((o) => `${o.column}.${o.dir}`);
  return [`select=${selected.join(',')}`, ...filters, ...(order.length ? [`order=${order.join(',')}`] : [])].join('&');
}

/** The grants whose rules let the caller read the dataset. */
export function readGrantIds(ability: AppAbility, ds: DatasetInfo, columns: string[]): string[] {
  const ids = new Set<string>();
  for (const c of columns) {
    for (const action of ['read', READ_MASKED]) {
      for (const r of ability.rulesFor(action, ds.subjectType, c)) if (!r.inverted) ids.add(grantOfRule(r)!);
    }
  }
  return [...ids].filter(Boolean);
}

/**
 * What a subject's rules say about one dataset, on one dialect: which columns it may read and how, on
 * which rows, and the plan of each column. A pure function of the ability's rules (a new array whenever
 * the subject's access changes: a new ability, or CASL's update()), so it is worked out once per rules
 * and dataset, each part when first asked, and every read of the same subject reuses it; only what
 * depends on the request (its filters, order and page) is planned per request.
 */
class DatasetView {
  readonly visibility = new Map<string, ColumnVisibility>();
  readonly readable: string[];
  /** The rows the caller may read: those on which at least one column is shown, in clear or masked. */
  readonly rows: Predicate;
  private readonly clear = new Map<string, Predicate>();
  private readonly planned = new Map<string, PlannedColumn>();
  private readonly grants = new Map<string, string[]>();

  constructor(
    private readonly ability: AppAbility,
    private readonly ds: DatasetInfo,
    private readonly dialect: Dialect,
  ) {
    for (const c of ds.columnNames) this.visibility.set(c, columnVisibility(ability, ds, c));
    this.readable = ds.columnNames.filter((c) => this.visibility.get(c) !== 'denied');
    // Asked column by column, so a `cannot` rule that takes every column of some rows takes those rows
    // away too (asked without a column, CASL leaves out `cannot` rules that name columns, and such rows
    // would come back with every value null: their number would show).
    const distinct: Predicate[] = [];
    for (const c of this.readable) {
      const p = or([rulePredicate(ability, 'read', ds, dialect, c), rulePredicate(ability, READ_MASKED, ds, dialect, c)]);
      if (!distinct.some((q) => samePredicate(q, p))) distinct.push(p);
    }
    this.rows = or(distinct);
  }

  /** The rows on which column `c` is shown in clear. */
  clearOn(c: string): Predicate {
    let p = this.clear.get(c);
    if (p === undefined) this.clear.set(c, (p = rulePredicate(this.ability, 'read', this.ds, this.dialect, c)));
    return p;
  }

  /** Column `name` as a read plan selects it: where it is shown in clear, where masked. */
  column(name: string): PlannedColumn {
    let planned = this.planned.get(name);
    if (!planned) {
      const clear = this.clearOn(name);
      const masked = and([not(clear), rulePredicate(this.ability, READ_MASKED, this.ds, this.dialect, name)]);
      // Within the row filter, a predicate equal to it always holds.
      const simplify = (p: Predicate) => (samePredicate(p, this.rows) ? true : p);
      planned = { name, clear: simplify(clear), masked: clear === true ? false : simplify(masked) };
      this.planned.set(name, planned);
    }
    return planned;
  }

  /** The grants whose rules let the caller read `selected` (kept for the selections asked most). */
  grantIds(selected: string[]): string[] {
    const key = selected.join('\u0000');
    let ids = this.grants.get(key);
    if (!ids) {
      ids = readGrantIds(this.ability, this.ds, selected);
      if (this.grants.size < VIEW_SELECTIONS_MAX) this.grants.set(key, ids);
    }
    return ids;
  }
}

/** Selections whose grants a view keeps; past it they are worked out per request. */
const VIEW_SELECTIONS_MAX = 64;

const views = new WeakMap<object, Map<string, DatasetView>>();

function viewOf(ability: AppAbility, ds: DatasetInfo, dialect: Dialect): DatasetView {
  let byDataset = views.get(ability.rules);
  if (!byDataset) views.set(ability.rules, (byDataset = new Map()));
  const key = `${ds.key}\u0000${dialect}`;
  let view = byDataset.get(key);
  if (!view) byDataset.set(key, (view = new DatasetView(ability, ds, dialect)));
  return view;
}

export function planRead(ability: AppAbility, ds: DatasetInfo, spec: QuerySpec, dialect: Dialect, page?: PageOptions): ReadPlan {
  const view = viewOf(ability, ds, dialect);
  authorizeDataset(ability, 'read', ds);

  if (spec.select && spec.select.length === 0) throw fail('bad_request', 'select names no column');
  const selected = spec.select ? [...new Set(spec.select)] : view.readable;
  const check = (c: string, use: 'select' | 'filter' | 'order') => refuseColumn(ds, c, view.visibility.get(c), use);
  for (const c of selected) check(c, 'select');
  for (const f of spec.filters) check(f.column, 'filter');
  for (const o of spec.order) check(o.column, 'order');

  const rowsAllowed = view.rows;
  // A filter or sort key only sees a column on rows where that column is shown in clear.
  const clearOn = (c: string) => view.clearOn(c);
  const guard = (c: string, p: Predicate): Predicate => {
    const on = clearOn(c);
    return samePredicate(on, rowsAllowed) ? p : and([on, p]);
  };
  const filtered = and([rowsAllowed, ...spec.filters.map((f) => guard(f.column, filterToSql(f, ds, dialect)))]);

  const columns = selected.map((name) => view.column(name));

  const asked = [...spec.order];
  if (!asked.some((o) => o.column === ds.primaryKey)) asked.push({ column: ds.primaryKey, dir: 'asc' });
  for (const o of asked) if (o.column !== ds.primaryKey && !samePredicate(clearOn(o.column), rowsAllowed) && clearOn(o.column) !== true) {
    throw fail('column_denied', `column ${o.column} of ${ds.key} is not visible on every row you may read, so you may not order on it`, { column: o.column });
  }
  // A page orders with explicit NULL placement and reads after its last key. The sort keys are
  // visible in clear on every row read (above); a primary key that is not leaves only inside the
  // encrypted cursor (http/read-cursor.ts).
  const keyed = page ? keysetOrder(asked) : undefined;
  const order = keyed ?? asked;
  if (page?.after && page.after.length !== order.length) throw fail('invalid_cursor', 'the cursor does not fit the order of its query');
  const where = keyed && page?.after ? and([filtered, afterKey(keyed, page.after)]) : filtered;

  return {
    ds,
    columns,
    where,
    order,
    limit: spec.limit,
    offset: spec.offset,
    fingerprint: fingerprintOf(spec, selected),
    grantIds: view.grantIds(selected),
    ...(keyed && { keys: keySelect(keyed, dialect) }),
  };
}
