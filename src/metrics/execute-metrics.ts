// Runs an authorised metric plan as its one statement (metric-statement.ts) through the stores' row
// cursor, and shapes each group on its way out: group keys under their names, metrics as numbers
// (PostgreSQL answers numeric and bigint as text). The count of suppressed groups rides on every row.
import { fromStoreValue } from '../query/coerce-value';
import type { ReadCursor } from '../stores/execute-read';
import { openRowCursor } from '../stores/row-cursor';
import type { Store } from '../stores/store-registry';
import { buildMetricQuery, dimAlias, metricAlias, SHOWN, SUPPRESSED } from './metric-statement';
import type { MetricPlan } from './plan-metrics';

export interface MetricCursor extends ReadCursor {
  /** Groups left out for minGroupSize; known after the first read. */
  suppressedGroups(): number;
}

export function openMetrics(store: Store, plan: MetricPlan): MetricCursor {
  const cursor = openRowCursor(store, buildMetricQuery(store.knex, plan));
  const dims = plan.dimensions.map((d, i) => {
    const dim = plan.model.dimensions[d.name.split('__')[0]];
    // A time dimension answers its bucket's first day as text; a categorical one its column's value.
    const type = dim && dim.type === 'categorical' ? plan.ds.columns[dim.column].type : 'text';
    return { name: d.name, alias: dimAlias(i), type };
  });
  const metrics = plan.metrics.map((m, i) => ({ name: m.name, alias: metricAlias(i) }));
  let suppressed = 0;
  return {
    columns: [...dims.map((d) => d.name), ...metrics.map((m) => m.name)],
    get done() {
      return cursor.done;
    },
    async read(maxRows, maxChars) {
      const rows = await cursor.read(maxRows, maxChars);
      if (rows.length) suppressed = Number(rows[0][SUPPRESSED]);
      // With no group shown, the summary row comes alone, its group columns null.
      return rows
        .filter((r) => r[SHOWN] !== null && r[SHOWN] !== undefined)
        .map((r) => {
          const out: Record<string, unknown> = {};
          for (const d of dims) out[d.name] = fromStoreValue(d.type, r[d.alias]);
          for (const m of metrics) out[m.name] = r[m.alias] === null ? null : Number(r[m.alias]);
          return out;
        });
    },
    close: () => cursor.close(),
    suppressedGroups: () => suppressed,
  };
}
