// A time dimension at a grain, as SQL giving the first day of its bucket as text `YYYY-MM-DD`, the same
// on SQLite (timestamps stored as ISO 8601 UTC text, dates as text), MySQL and PostgreSQL (timestamptz read
// in UTC, date). Weeks start on Monday (ISO), like MetricFlow's date_trunc('week').
import type { ColumnType } from '../policy/policy-schema';
import type { Fragment } from '../query/sql-fragment';
import type { Dialect } from '../state/open-state';
import type { TimeGrain } from './metric-schema';

const SQLITE: Record<TimeGrain, string> = {
  day: "date(??)",
  week: "date(??, 'weekday 0', '-6 days')",
  month: "strftime('%Y-%m-01', ??)",
  quarter: "printf('%s-%02d-01', strftime('%Y', ??), ((CAST(strftime('%m', ??) AS INTEGER) - 1) / 3) * 3 + 1)",
  year: "strftime('%Y-01-01', ??)",
};

// MySQL/MariaDB: DATETIME holds UTC (the store's sessions run in UTC), DATE is a date.
const MYSQL: Record<TimeGrain, string> = {
  day: "DATE_FORMAT(??, '%Y-%m-%d')",
  week: "DATE_FORMAT(DATE_SUB(??, INTERVAL WEEKDAY(??) DAY), '%Y-%m-%d')",
  month: "DATE_FORMAT(??, '%Y-%m-01')",
  quarter: "CONCAT(YEAR(??), '-', LPAD((QUARTER(??) - 1) * 3 + 1, 2, '0'), '-01')",
  year: "DATE_FORMAT(??, '%Y-01-01')",
};

export function timeBucket(dialect: Dialect, column: string, type: ColumnType, grain: TimeGrain): Fragment {
  if (dialect === 'sqlite' || dialect === 'mysql') {
    const sql = (dialect === 'sqlite' ? SQLITE : MYSQL)[grain];
    return { sql, bindings: sql.split('??').slice(1).map(() => column) };
  }
  const base = type === 'timestamp' ? "(?? AT TIME ZONE 'UTC')" : 'CAST(?? AS timestamp)';
  return { sql: `to_char(date_trunc('${grain}', ${base}), 'YYYY-MM-DD')`, bindings: [column] };
}

/** Grains from finest to coarsest: a dimension is asked at its own grain or a coarser one. */
export const GRAIN_ORDER: readonly TimeGrain[] = ['day', 'week', 'month', 'quarter', 'year'];
