// Counts for an auditor's first look at a period: per subject, per dataset, per decision, and the
// refusals by reason (the stable error code that opens each refusal's reason), largest first.
import type { Knex } from 'knex';
import { withinHead } from './audit-query';

export interface AuditSummary {
  since: string | null;
  until: string | null;
  total: number;
  byDecision: { allow: number; deny: number };
  bySubject: { subject: string | null; allow: number; deny: number; total: number }[];
  byDataset: { dataset: string; allow: number; deny: number; total: number }[];
  deniedByReason: { reason: string; count: number }[];
}

/** Groups kept per list: the largest first; an auditor narrows the period or filters for the rest. */
export const SUMMARY_TOP = 1000;
const DATASET = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The stable error code that opens a refusal's reason (`<code>: <why>`). */
export const refusalCode = (reason: string | null): string => (reason ?? 'unknown').split(':')[0].trim() || 'unknown';

export async function summariseAudit(db: Knex, range: { since?: number; until?: number }): Promise<AuditSummary> {
  const base = () => {
    const q = withinHead(db('mg_audit'));
    if (range.since !== undefined) q.where('ts', '>=', range.since);
    if (range.until !== undefined) q.where('ts', '<', range.until);
    return q;
  };
  const grouped = async (col: 'subject' | 'resource') => {
    const rows: { key: string | null; decision: string; n: unknown }[] = await base().select({ key: col, decision: 'decision' }).count({ n: '*' }).groupBy(col, 'decision');
    const by = new Map<string | null, { allow: number; deny: number; total: number }>();
    for (const r of rows) {
      const g = by.get(r.key) ?? { allow: 0, deny: 0, total: 0 };
      const n = Number(r.n);
      if (r.decision === 'allow') g.allow += n;
      else g.deny += n;
      g.total += n;
      by.set(r.key, g);
    }
    return [...by.entries()].sort((a, b) => b[1].total - a[1].total);
  };
  const subjects = await grouped('subject');
  const resources = await grouped('resource');
  const reasons: { reason: string | null; n: unknown }[] = await base().where('decision', 'deny').select('reason').count({ n: '*' }).groupBy('reason');
  const byCode = new Map<string, number>();
  for (const r of reasons) {
    const code = refusalCode(r.reason);
    byCode.set(code, (byCode.get(code) ?? 0) + Number(r.n));
  }
  const byDecision = { allow: 0, deny: 0 };
  for (const [, g] of subjects) {
    byDecision.allow += g.allow;
    byDecision.deny += g.deny;
  }
  return {
    since: range.since === undefined ? null : new Date(range.since).toISOString(),
    until: range.until === undefined ? null : new Date(range.until).toISOString(),
    total: byDecision.allow + byDecision.deny,
    byDecision,
    bySubject: subjects.slice(0, SUMMARY_TOP).map(([subject, g]) => ({ subject, ...g })),
    byDataset: resources.filter(([k]) => k && DATASET.test(k)).slice(0, SUMMARY_TOP).map(([dataset, g]) => ({ dataset: dataset!, ...g })),
    deniedByReason: [...byCode.entries()].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count })),
  };
}
