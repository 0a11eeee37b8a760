// Pure guardrail checks of a batch: rows per request, value bounds, the change per update, and the
// batch's figures for the breaker. A violation is a 422 `guardrail_violation` naming the guardrail;
// details never carry data values (they land in the audit log), only limits and row positions.
import { fail } from '../errors';
import type { GuardLimits } from './guard-limits';

/** Per guarded column: sum and count of the non-null values written. */
export type BatchStats = Record<string, { sum: number; n: number }>;

export function checkRowCount(limits: GuardLimits, rows: number): void {
  const m = limits.maxRowsPerRequest;
  if (m && rows > m.rows) {
    throw fail('guardrail_violation', `the write touches ${rows} rows; at most ${m.rows} per request (${m.source})`, {
      guardrail: 'maxRowsPerRequest',
      limit: m.rows,
    });
  }
}

export function checkValues(limits: GuardLimits, rows: readonly Record<string, unknown>[], where = (i: number) => `rows[${i}]`): void {
  for (const [column, g] of Object.entries(limits.columns)) {
    rows.forEach((row, i) => {
      const v = row[column];
      if (v === null || v === undefined) return;
      const n = Number(v);
      if (g.max !== undefined && n > g.max) {
        throw fail('guardrail_violation', `${where(i)}: ${column} is above its bound (${column} <= ${g.max})`, { guardrail: 'max', column, limit: g.max });
      }
      if (g.min !== undefined && n < g.min) {
        throw fail('guardrail_violation', `${where(i)}: ${column} is below its bound (${column} >= ${g.min})`, { guardrail: 'min', column, limit: g.min });
      }
    });
  }
}

/**
 * The change of one stored row: `after` holds the values written, `before` the stored values the writer
 * reads in clear (a column left out is one it does not). A guarded column may not be set to null (that
 * would step around its limit: 4.2 -> null -> 49), nor changed where its stored value is hidden from the
 * writer: whether the change is within the limit would tell the value, so that refusal (403) says the
 * same whatever is stored. A stored null may be set to any value within the column's bounds.
 */
export function checkChange(limits: GuardLimits, before: Record<string, unknown>, after: Record<string, unknown>, where: string): void {
  for (const [column, g] of Object.entries(limits.columns)) {
    if (g.maxChangePct === undefined || !Object.hasOwn(after, column)) continue;
    const a = after[column];
    if (a === null || a === undefined) {
      throw fail('guardrail_violation', `${where}: ${column} may not be set to null: it may move at most ${g.maxChangePct} % in one write`, {
        guardrail: 'maxChangePct',
        column,
        limit: g.maxChangePct,
      });
    }
    if (!Object.hasOwn(before, column)) {
      throw fail('column_denied', `${where}: ${column} may move at most ${g.maxChangePct} % in one write, and you do not read it in clear, so you may not change it`, {
        column,
        guardrail: 'maxChangePct',
      });
    }
    const b = before[column];
    if (b === null || b === undefined) continue;
    const from = Number(b);
    const to = Number(a);
    if (from === to) continue;
    const pct = from === 0 ? Infinity : (Math.abs(to - from) / Math.abs(from)) * 100;
    if (pct > g.maxChangePct + 1e-9) {
      throw fail('guardrail_violation', `${where}: ${column} would move more than ${g.maxChangePct} % in one write`, {
        guardrail: 'maxChangePct',
        column,
        limit: g.maxChangePct,
      });
    }
  }
}

export function batchStats(limits: GuardLimits, rows: readonly Record<string, unknown>[]): BatchStats {
  const stats: BatchStats = {};
  for (const column of Object.keys(limits.columns)) {
    const s = { sum: 0, n: 0 };
    for (const row of rows) {
      const v = row[column];
      if (v === null || v === undefined) continue;
      s.sum += Number(v);
      s.n += 1;
    }
    stats[column] = s;
  }
  return stats;
}
