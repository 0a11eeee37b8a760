// The anomaly breaker's decision, pure: a window's figures (write volume, mean of each guarded
// column) against the writer's baseline. Departing by more than the factor, either way, trips it.
import type { BatchStats } from './check-batch';

export interface Figures {
  rows: number;
  means: Record<string, number>;
}

export interface Trip {
  figure: string;
  baseline: number;
  current: number;
  factor: number;
}

export function figuresOf(entries: readonly { rows: number; stats: BatchStats }[]): Figures {
  let rows = 0;
  const acc: BatchStats = {};
  for (const e of entries) {
    rows += e.rows;
    for (const [c, s] of Object.entries(e.stats)) {
      acc[c] ??= { sum: 0, n: 0 };
      acc[c].sum += s.sum;
      acc[c].n += s.n;
    }
  }
  const means: Record<string, number> = {};
  for (const [c, s] of Object.entries(acc)) if (s.n > 0) means[c] = s.sum / s.n;
  return { rows, means };
}

function departs(base: number, cur: number, factor: number): boolean {
  if (base > 0 && cur > 0) return cur > base * factor || cur < base / factor;
  if (base === 0) return false; // no scale to measure a departure against
  return Math.abs(cur - base) > (factor - 1) * Math.abs(base);
}

export function breakerTrip(baseline: Figures, current: Figures, factor: number, minRows: number): Trip | undefined {
  if (current.rows > Math.max(baseline.rows, minRows) * factor) {
    return { figure: 'volume', baseline: baseline.rows, current: current.rows, factor };
  }
  for (const [c, base] of Object.entries(baseline.means)) {
    const cur = current.means[c];
    if (cur !== undefined && departs(base, cur, factor)) return { figure: `mean(${c})`, baseline: base, current: cur, factor };
  }
  return undefined;
}
