// An authorised metric plan -> ONE knex statement, GROUP BY pushed down to the store:
//
//   WITH __g AS (SELECT <dims> AS __dN, <metrics> AS __mN, CASE WHEN <every metric's rows >= k> THEN 1 ELSE 0 END AS __ok
//                FROM <table> WHERE <row rules, filters> GROUP BY <dims>),
//        __s AS (SELECT COUNT(*) AS __suppressed FROM __g WHERE __ok = 0)
//   SELECT __s.__suppressed, __g.* FROM __s LEFT JOIN __g ON __g.__ok = 1 ORDER BY ... LIMIT n
//
// Suppressed groups never leave the store: only how many there were (one summary row, joined to every
// shown group, or alone with nulls when none is shown).
import type { Knex } from 'knex';
import { toCondition } from '../query/sql-fragment';
import type { MetricPlan } from './plan-metrics';

export const dimAlias = (i: number) => `__d${i}`;
export const metricAlias = (i: number) => `__m${i}`;
export const SHOWN = '__ok';
export const SUPPRESSED = '__suppressed';

export function buildMetricQuery(knex: Knex, plan: MetricPlan): Knex.QueryBuilder {
  const grouped = knex(plan.ds.table);
  plan.dimensions.forEach(({ sql: d }, i) => grouped.select(knex.raw(`${d.sql} AS ??`, [...d.bindings, dimAlias(i)])));
  plan.metrics.forEach(({ sql: m }, i) => grouped.select(knex.raw(`${m.sql} AS ??`, [...m.bindings, metricAlias(i)])));
  const shown = toCondition(plan.shown);
  grouped.select(knex.raw(`CASE WHEN ${shown.sql} THEN 1 ELSE 0 END AS ??`, [...shown.bindings, SHOWN]));
  if (plan.where !== true) {
    const where = toCondition(plan.where);
    grouped.whereRaw(where.sql, where.bindings);
  }
  for (const { sql: d } of plan.dimensions) grouped.groupByRaw(d.sql, d.bindings);

  const summary = knex('__g').select(knex.raw('COUNT(*) AS ??', [SUPPRESSED])).where(SHOWN, 0);
  const q = knex
    .with('__g', grouped)
    .with('__s', summary)
    .select(`__s.${SUPPRESSED}`, '__g.*')
    .from('__s')
    .leftJoin('__g', `__g.${SHOWN}`, knex.raw('?', [1]));
  for (const o of plan.order) {
    const alias = o.kind === 'dimension' ? dimAlias(o.index) : metricAlias(o.index);
    // Spelled out so NULLs sort the same on both stores (last ascending, first descending, as PostgreSQL).
    q.orderByRaw(`?? ${o.dir === 'desc' ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`, [`__g.${alias}`]);
  }
  return q.limit(plan.limit);
}
