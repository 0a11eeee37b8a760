// GET /v1/metrics/query's query string -> a MetricRequest: metrics=a,b; group_by=x,metric_time__month;
// where=<dimension>=<op>.<value> (PostgREST operators, repeatable); start, end; order=name or -name
// (MetricFlow) or name.asc|desc; limit; format. Pure: names are resolved by the planner.
import { fail } from '../errors';
import type { MetricRequest } from '../metrics/plan-metrics';
import { MAX_LIMIT } from '../query/query-spec';
import { MAX_FILTER_VALUES, MAX_ORDER_TERMS, parseFilter } from './parse-query';

type Query = Record<string, unknown>;

export const METRIC_PARAMS = ['metrics', 'group_by', 'where', 'start', 'end', 'order', 'limit', 'format'] as const;
/** Names per list: far more than any answer needs, far less than anything costly. */
const MAX_NAMES = 32;

const one = (q: Query, name: string): string | undefined => {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fail('bad_request', `${name} may be given once, as text`, { parameter: name });
  return v;
};

function names(q: Query, name: string): string[] {
  const v = one(q, name);
  if (v === undefined) return [];
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (list.length > MAX_NAMES) throw fail('too_many_parameters', `${name} names ${list.length} items; at most ${MAX_NAMES}`, { parameter: name, limit: MAX_NAMES });
  return list;
}

export function parseMetricQuery(q: Query): MetricRequest {
  for (const k of Object.keys(q)) {
    if (!(METRIC_PARAMS as readonly string[]).includes(k)) throw fail('unknown_parameter', `unknown query parameter ${/^[A-Za-z0-9_]{1,64}$/.test(k) ? k : '(a name that is not a parameter)'}: use ${METRIC_PARAMS.join(', ')}`, { parameter: k.slice(0, 64) });
  }
  const metrics = names(q, 'metrics');
  if (metrics.length === 0) throw fail('bad_request', 'metrics is required: metrics=revenue,order_count', { parameter: 'metrics' });
  const rawWhere = q.where === undefined ? [] : Array.isArray(q.where) ? q.where : [q.where];
  const where = rawWhere.map((w) => {
    if (typeof w !== 'string') throw fail('bad_request', 'where must be text', { parameter: 'where' });
    const eq = w.indexOf('=');
    if (eq <= 0) throw fail('invalid_filter', 'where takes <dimension>=<op>.<value>, for example where=region=eq.EU', { parameter: 'where' });
    return parseFilter(w.slice(0, eq), w.slice(eq + 1));
  });
  const values = where.reduce((n, f) => n + (Array.isArray(f.value) ? f.value.length : 1), 0);
  if (values > MAX_FILTER_VALUES) throw fail('too_many_parameters', `the filters bind ${values} values; at most ${MAX_FILTER_VALUES}`, { limit: MAX_FILTER_VALUES });
  const order = names(q, 'order').map((term) => {
    if (term.length > MAX_ORDER_TERMS * 8) throw fail('bad_request', 'order term too long', { parameter: 'order' });
    if (term.startsWith('-')) return { name: term.slice(1), dir: 'desc' as const };
    const m = /^(.*)\.(asc|desc)$/.exec(term);
    return m ? { name: m[1], dir: m[2] as 'asc' | 'desc' } : { name: term, dir: 'asc' as const };
  });
  const limitText = one(q, 'limit') || undefined; // `limit=` (empty) is no limit given
  if (limitText !== undefined && (!/^\d{1,6}$/.test(limitText) || Number(limitText) < 1 || Number(limitText) > MAX_LIMIT)) {
    throw fail('bad_request', `limit is a whole number from 1 to ${MAX_LIMIT}`, { parameter: 'limit' });
  }
  return {
    metrics,
    groupBy: names(q, 'group_by'),
    where,
    start: one(q, 'start'),
    end: one(q, 'end'),
    order,
    limit: limitText === undefined ? MAX_LIMIT : Number(limitText),
  };
}
