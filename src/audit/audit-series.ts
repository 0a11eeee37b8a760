// Allowed and refused decisions over time: the audit log counted per hour or per day, optionally
// split by subject, dataset or refusal code, for the auditor's chart (GET /v1/audit/summary?bucket=).
// Counted by the state store (GROUP BY), so the answer's size is bounded by the number of points,
// never by the number of entries; a period with too many points is refused, not cut.
import type { Knex } from 'knex';
import { fail } from '../errors';
import { withinHead } from './audit-query';
import { refusalCode } from './summarise-audit';

export const BUCKETS = { '1h': 3_600_000, '1d': 86_400_000 } as const;
export type Bucket = keyof typeof BUCKETS;
export const SPLITS = ['subject', 'dataset', 'code'] as const;
export type Split = (typeof SPLITS)[number];

/** Points one answer may hold; past it the auditor narrows the period or takes a coarser bucket. */
export const SERIES_MAX = 10_000;
const DATASET = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface SeriesPoint {
  /** Start of the bucket, ISO 8601 UTC. */
  start: string;
  /** The subject, dataset or refusal code (with `by`); null for entries without one (allowed ones, when split by code). */
  key?: string | null;
  allow: number;
  deny: number;
}

interface Grouped {
  bucket_start: unknown;
  key?: string | null;
  decision: string;
  n: unknown;
}

export async function auditSeries(db: Knex, range: { since?: number; until?: number }, bucket: Bucket, by?: Split): Promise<SeriesPoint[]> {
  const q = withinHead(db('mg_audit'));
  if (range.since !== undefined) q.where('ts', '>=', range.since);
  if (range.until !== undefined) q.where('ts', '<', range.until);
  // Epoch milliseconds rounded down to the bucket: the same integer arithmetic on SQLite and PostgreSQL.
  q.select(db.raw('(ts - ts % ?) as bucket_start', [BUCKETS[bucket]]), 'decision').count({ n: '*' });
  const column = by === 'subject' ? 'subject' : by === 'dataset' ? 'resource' : by === 'code' ? 'reason' : undefined;
  if (column) q.select({ key: column });
  if (by === 'dataset') q.whereRaw('resource like ?', ['%.%']);
  q.groupBy(column ? ['bucket_start', 'decision', 'key'] : ['bucket_start', 'decision']).orderBy('bucket_start').limit(SERIES_MAX + 1);
  const rows: Grouped[] = await q;
  if (rows.length > SERIES_MAX) throw tooMany();

  const points = new Map<string, SeriesPoint>();
  for (const r of rows) {
    let key: string | null | undefined = by ? (r.key ?? null) : undefined;
    if (by === 'dataset' && (typeof key !== 'string' || !DATASET.test(key))) continue;
    if (by === 'code') key = r.decision === 'allow' ? null : refusalCode(r.key ?? null);
    const start = new Date(Number(r.bucket_start)).toISOString();
    const id = JSON.stringify([start, key]);
    const p = points.get(id) ?? { start, ...(by ? { key } : {}), allow: 0, deny: 0 };
    if (r.decision === 'allow') p.allow += Number(r.n);
    else p.deny += Number(r.n);
    points.set(id, p);
  }
  return [...points.values()].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : String(a.key ?? '').localeCompare(String(b.key ?? ''))));
}

const tooMany = () => fail('invalid_audit_query', `more than ${SERIES_MAX} points: narrow the period (since, until) or take a coarser bucket`, { parameter: 'bucket' });
