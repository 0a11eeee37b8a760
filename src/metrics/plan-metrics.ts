// A metric query + the caller's ability -> an authorised metric plan. Pure: resolves metric and
// dimension names, decides per column what the caller may do with it (group and filter only on columns
// a read_metrics rule names; aggregate also those an aggregateOnly rule names), applies the role's row
// rules before aggregation, guards every measure column on the rows where a rule grants it (as
// plan-read does per column), and compiles each metric to one SQL aggregate expression. The statement
// itself is built in metric-statement.ts.
import { fail } from '../errors';
import { AGGREGATE_METRICS, READ_METRICS, grantOfRule, type AppAbility, type TaggedRule } from '../policy/build-ability';
import { refusal } from '../policy/authorize';
import { metricColumnUse } from '../policy/decide-columns';
import type { DatasetInfo } from '../policy/load-policies';
import { lookup } from '../policy/lookup-table';
import { toStoreValue } from '../query/coerce-value';
import { filterToSql } from '../query/plan-read';
import type { Filter } from '../query/query-spec';
import { rulePredicate } from '../query/rule-predicate';
import { and, or, samePredicate, toCondition, type Fragment, type Predicate } from '../query/sql-fragment';
import type { Dialect } from '../state/open-state';
import type { DimensionInfo, MeasureInfo, MetricCatalog, MetricInfo, MetricNode, SemanticModelInfo } from './load-metrics';
import type { Expr } from './metric-expr';
import type { TimeGrain } from './metric-schema';
import { GRAIN_ORDER, timeBucket } from './time-grain';

export interface MetricRequest {
  metrics: string[];
  groupBy: string[];
  /** Filters on dimensions (`column` holds the dimension name). */
  where: Filter[];
  /** metric_time bounds: start inclusive, end exclusive (ISO dates or timestamps). */
  start?: string;
  end?: string;
  order: { name: string; dir: 'asc' | 'desc' }[];
  limit: number;
}

export interface MetricPlan {
  ds: DatasetInfo;
  model: SemanticModelInfo;
  /** The answer's group keys and metrics, in order, each with its SQL. */
  dimensions: { name: string; sql: Fragment }[];
  metrics: { name: string; sql: Fragment }[];
  /** Rows summarised: the role's row rules, the caller's filters, the metric_time bounds. */
  where: Predicate;
  /** A group may be shown (every metric's rows >= minGroupSize); true when no minGroupSize applies. */
  shown: Predicate;
  minGroupSize: number | null;
  order: { index: number; kind: 'dimension' | 'metric'; dir: 'asc' | 'desc' }[];
  limit: number;
  fingerprint: string;
  grantIds: string[];
  /** Columns the query touches (for the audit entry). */
  columns: string[];
}

/** A name from the URL, echoed only when it could be a catalog name. */
const echo = (name: string) => (/^[A-Za-z_][A-Za-z0-9_]{0,80}$/.test(name) ? name : '(a name that is not in the catalog)');

const DOUBLE = (f: Fragment): Fragment => ({ sql: `CAST(${f.sql} AS DOUBLE PRECISION)`, bindings: f.bindings });
/** Division: a float on both stores; a zero denominator gives null, never an error. */
const divide = (l: Fragment, r: Fragment): Fragment => ({ sql: `(${DOUBLE(l).sql} / NULLIF(${DOUBLE(r).sql}, 0))`, bindings: [...l.bindings, ...r.bindings] });

function exprSql(e: Expr, ref: (name: string) => Fragment): Fragment {
  switch (e.kind) {
    case 'num':
      return { sql: 'CAST(? AS DOUBLE PRECISION)', bindings: [e.value] };
    case 'ref':
      return ref(e.name);
    case 'neg': {
      const x = exprSql(e.e, ref);
      return { sql: `(-${x.sql})`, bindings: x.bindings };
    }
    case 'bin': {
      const l = exprSql(e.l, ref);
      const r = exprSql(e.r, ref);
      return e.op === '/' ? divide(l, r) : { sql: `(${l.sql} ${e.op} ${r.sql})`, bindings: [...l.bindings, ...r.bindings] };
    }
  }
}

function aggregate(m: MeasureInfo, when: Fragment): Fragment {
  const value = m.columns.length === 0 && m.expr.kind === 'num' && m.agg === 'count' ? { sql: '1', bindings: [] } : exprSql(m.expr, (c) => ({ sql: '??', bindings: [c] }));
  const inner = { sql: `CASE WHEN ${when.sql} THEN ${value.sql} END`, bindings: [...when.bindings, ...value.bindings] };
  const wrap = (fn: string) => ({ sql: `${fn}(${inner.sql})`, bindings: inner.bindings });
  switch (m.agg) {
    case 'sum':
      return DOUBLE(wrap('SUM'));
    case 'count':
      return wrap('COUNT');
    case 'count_distinct':
      return { sql: `COUNT(DISTINCT ${inner.sql})`, bindings: inner.bindings };
    case 'average':
      return divide(wrap('SUM'), wrap('COUNT'));
    case 'min':
      return wrap('MIN');
    case 'max':
      return wrap('MAX');
  }
}

function leaves(node: MetricNode): Extract<MetricNode, { kind: 'measure' }>[] {
  if (node.kind === 'measure') return [node];
  if (node.kind === 'ratio') return [...leaves(node.numerator), ...leaves(node.denominator)];
  return Object.values(node.inputs).flatMap(leaves);
}

/** The strictest minGroupSize among the caller's read_metrics rules on the dataset (null if none). */
export function minGroupSizeFor(ability: AppAbility, ds: DatasetInfo): number | null {
  let k: number | null = null;
  for (const action of [READ_METRICS, AGGREGATE_METRICS]) {
    for (const r of ability.rulesFor(action, ds.subjectType)) {
      const size = (r.origin as TaggedRule).minGroupSize;
      if (!r.inverted && size !== undefined && (k === null || size > k)) k = size;
    }
  }
  return k;
}

/** The dataset-level decision: may the caller query metrics of `ds` at all? If not, the standard refusal. */
export function authorizeMetrics(ability: AppAbility, ds: DatasetInfo): void {
  if (!ds.columnNames.some((c) => metricColumnUse(ability, ds, c) !== 'none')) throw refusal(`read_metrics ${ds.key}`);
}

/** A column used as a group key or in a filter: it must be readable in metric answers, on every row summarised. */
function checkDimensionColumn(ability: AppAbility, ds: DatasetInfo, column: string, use: 'group by' | 'filter on', dimension: string): void {
  const u = metricColumnUse(ability, ds, column);
  if (u === 'none') throw fail('column_denied', `you may not ${use} ${dimension}: column ${column} of ${ds.key} is not yours to read`, { column, missing: `read_metrics ${ds.key}.${column}` });
  if (u === 'aggregate') {
    throw fail('column_masked', `you may not ${use} ${dimension}: column ${column} of ${ds.key} may only be aggregated for you`, { column, missing: `read_metrics ${ds.key}.${column} unmasked` });
  }
}

function resolveDimension(model: SemanticModelInfo, metrics: MetricInfo[], name: string): { dim: DimensionInfo; grain?: TimeGrain } {
  const [base, grain, ...rest] = name.split('__');
  let dim: DimensionInfo | undefined;
  if (base === 'metric_time') {
    const times = [...new Set(metrics.map((m) => m.timeDimension))];
    if (times.length !== 1 || !times[0]) throw fail('unknown_dimension', `metric_time: ${metrics.map((m) => m.name).join(', ')} ${metrics.length > 1 ? 'have no one' : 'has no'} time dimension`, { dimension: echo(name) });
    dim = times[0];
  } else dim = lookup(model.dimensions, base);
  if (!dim || rest.length) throw fail('unknown_dimension', `unknown dimension ${echo(name)} of semantic model ${model.name}`, { dimension: echo(name) });
  if (grain === undefined) return { dim, grain: dim.grain };
  if (dim.type !== 'time' || !(GRAIN_ORDER as readonly string[]).includes(grain)) throw fail('unknown_dimension', `unknown dimension ${echo(name)}: a grain (${GRAIN_ORDER.join(', ')}) follows a time dimension only`, { dimension: echo(name) });
  if (GRAIN_ORDER.indexOf(grain as TimeGrain) < GRAIN_ORDER.indexOf(dim.grain!)) throw fail('unknown_dimension', `${echo(name)}: ${dim.name} is recorded by ${dim.grain}, so it cannot be asked by ${grain}`, { dimension: echo(name) });
  return { dim, grain: grain as TimeGrain };
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** `dialectOf`: the dialect of a store (the metrics' dataset decides which store runs the query). */
export function planMetrics(ability: AppAbility, catalog: MetricCatalog, q: MetricRequest, dialectOf: (store: string) => Dialect): MetricPlan {
  if (q.metrics.length === 0) throw fail('bad_request', 'metrics names no metric', { parameter: 'metrics' });
  const metrics = [...new Set(q.metrics)].map((name) => {
    const m = lookup(catalog.metrics, name);
    if (!m) throw fail('unknown_metric', `unknown metric ${echo(name)}`, { metric: echo(name) });
    return m;
  });
  const model = metrics[0].model;
  const other = metrics.find((m) => m.model !== model);
  if (other) throw fail('bad_request', `${metrics[0].name} and ${other.name} come from different semantic models (${model.name}, ${other.model.name}); query them separately`, { parameter: 'metrics' });
  const ds = model.ds;
  authorizeMetrics(ability, ds);
  const dialect = dialectOf(ds.store);

  const used = new Set<string>();
  const onRows = (c: string) => or([rulePredicate(ability, READ_METRICS, ds, dialect, c), rulePredicate(ability, AGGREGATE_METRICS, ds, dialect, c)]);
  const rowsAllowed = or([rulePredicate(ability, READ_METRICS, ds, dialect), rulePredicate(ability, AGGREGATE_METRICS, ds, dialect)]);
  const guard = (c: string, p: Predicate): Predicate => {
    const on = onRows(c);
    return samePredicate(on, rowsAllowed) ? p : and([on, p]);
  };
  const dimensionColumn = (column: string, use: 'group by' | 'filter on', name: string) => {
    checkDimensionColumn(ability, ds, column, use, name);
    const clear = rulePredicate(ability, READ_METRICS, ds, dialect, column);
    if (clear !== true && !samePredicate(clear, rowsAllowed)) {
      throw fail('column_denied', `you may not ${use} ${name}: column ${column} of ${ds.key} is not readable on every row you may summarise`, { column, missing: `read_metrics ${ds.key}.${column}` });
    }
    used.add(column);
  };

  // Measures: every column a measure reads or its filter tests must be granted to read_metrics; min and
  // max would hand out one row's value, so they never apply to an aggregate-only column.
  const sizes: Fragment[] = [];
  const leafSql = new Map<object, Fragment>();
  for (const leaf of metrics.flatMap((m) => leaves(m.node))) {
    if (leafSql.has(leaf)) continue;
    for (const c of [...leaf.measure.columns, ...leaf.filters.map((f) => f.column)]) {
      const u = metricColumnUse(ability, ds, c);
      if (u === 'none') throw fail('column_denied', `metric over column ${c} of ${ds.key}, which you may not use`, { column: c, missing: `read_metrics ${ds.key}.${c}` });
      if (u === 'aggregate' && (leaf.measure.agg === 'min' || leaf.measure.agg === 'max') && leaf.measure.columns.includes(c)) {
        throw fail('column_masked', `${leaf.measure.agg} of column ${c} of ${ds.key} would show one row's value, and it may only be aggregated for you`, { column: c, missing: `read_metrics ${ds.key}.${c} unmasked` });
      }
      used.add(c);
    }
    const when = toCondition(and([...leaf.measure.columns.map((c) => guard(c, true)), ...leaf.filters.map((f) => guard(f.column, filterToSql(f, ds, dialect)))]));
    leafSql.set(leaf, aggregate(leaf.measure, when));
    sizes.push({ sql: `COUNT(CASE WHEN ${when.sql} THEN 1 END)`, bindings: when.bindings });
  }
  const nodeSql = (node: MetricNode): Fragment =>
    node.kind === 'measure'
      ? leafSql.get(node)!
      : node.kind === 'ratio'
        ? divide(nodeSql(node.numerator), nodeSql(node.denominator))
        : exprSql(node.expr, (alias) => nodeSql(node.inputs[alias]));

  const groupBy = [...new Set(q.groupBy)];
  const dimensions = groupBy.map((name) => {
    const { dim, grain } = resolveDimension(model, metrics, name);
    dimensionColumn(dim.column, 'group by', name);
    const type = ds.columns[dim.column].type;
    return { name, sql: dim.type === 'time' ? timeBucket(dialect, dim.column, type, grain!) : { sql: '??', bindings: [dim.column] } };
  });

  const filters: Predicate[] = q.where.map((f) => {
    const { dim, grain } = resolveDimension(model, metrics, f.column);
    if (grain !== dim.grain) throw fail('invalid_filter', `filter on ${dim.name} at its own grain (or use start and end for metric_time)`, { dimension: echo(f.column) });
    dimensionColumn(dim.column, 'filter on', f.column);
    return filterToSql({ ...f, column: dim.column }, ds, dialect);
  });
  if (q.start !== undefined || q.end !== undefined) {
    const { dim } = resolveDimension(model, metrics, 'metric_time');
    dimensionColumn(dim.column, 'filter on', 'metric_time');
    const type = ds.columns[dim.column].type;
    for (const [param, value, op] of [['start', q.start, '>='], ['end', q.end, '<']] as const) {
      if (value === undefined) continue;
      const given = type === 'timestamp' && DATE.test(value) ? `${value}T00:00:00Z` : value;
      let bound;
      try {
        bound = toStoreValue(dim.column, type, given, dialect, true);
      } catch {
        throw fail('bad_request', `${param} must be an ISO date (YYYY-MM-DD)${type === 'timestamp' ? ' or date-time' : ''}`, { parameter: param });
      }
      filters.push({ sql: `?? ${op} ?`, bindings: [dim.column, bound] });
    }
  }
  const where = and([rowsAllowed, ...filters]);

  const k = minGroupSizeFor(ability, ds);
  const shown: Predicate = k === null ? true : and(sizes.map((s) => ({ sql: `${s.sql} >= ?`, bindings: [...s.bindings, k] })));

  const metricNames = metrics.map((m) => m.name);
  const order: MetricPlan['order'] = q.order.map((o) => {
    const d = groupBy.indexOf(o.name);
    if (d >= 0) return { index: d, kind: 'dimension', dir: o.dir };
    const m = metricNames.indexOf(o.name);
    if (m >= 0) return { index: m, kind: 'metric', dir: o.dir };
    throw fail('bad_request', `order names ${echo(o.name)}, which is neither a metric nor a group_by of this query`, { parameter: 'order' });
  });
  groupBy.forEach((_, i) => {
    if (!order.some((o) => o.kind === 'dimension' && o.index === i)) order.push({ index: i, kind: 'dimension', dir: 'asc' });
  });

  const grantIds = new Set<string>();
  for (const c of used) for (const action of [READ_METRICS, AGGREGATE_METRICS]) for (const r of ability.rulesFor(action, ds.subjectType, c)) if (!r.inverted && grantOfRule(r)) grantIds.add(grantOfRule(r)!);

  const fingerprint = [
    `metrics=${metricNames.join(',')}`,
    ...(groupBy.length ? [`group_by=${groupBy.join(',')}`] : []),
    ...q.where.map((f) => `where=${f.column}=${f.negated ? 'not.' : ''}${f.op}.?`).sort(),
    ...(q.start !== undefined ? ['start=?'] : []),
    ...(q.end !== undefined ? ['end=?'] : []),
    ...(q.order.length ? [`order=${q.order.map((o) => `${o.name}.${o.dir}`).join(',')}`] : []),
  ].join('&');

  return {
    ds,
    model,
    dimensions,
    metrics: metrics.map((m) => ({ name: m.name, sql: nodeSql(m.node) })),
    where,
    shown,
    minGroupSize: k,
    order,
    limit: q.limit,
    fingerprint,
    grantIds: [...grantIds],
    columns: [...used],
  };
}
