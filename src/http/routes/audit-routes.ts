// The auditor's API: GET /v1/audit (filtered, newest first, keyset pages), /v1/audit/export (CSV or
// NDJSON, streamed), /v1/audit/summary and /v1/audit/verify. Who may read the log is decided by the
// policy layer (the read_audit rule on the Audit subject); every read of the log is itself audited,
// and committed before the answer starts.
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { GatewayError, fail } from '../../errors';
import { FILTERS, decodeCursor, encodeCursor, toEntry, whereFilters } from '../../audit/audit-query';
import type { AuditRow } from '../../audit/audit-entry';
import { exportAudit } from '../../audit/export-audit';
import { summariseAudit } from '../../audit/summarise-audit';
import { auditSeries, BUCKETS, SPLITS, type Bucket } from '../../audit/audit-series';
import { verifyAudit } from '../../audit/verify-chain';
import { AUDIT_SUBJECT } from '../../policy/build-ability';
import { authorize } from '../../policy/authorize';
import { recordOutcome } from '../audit-request';
import { onlyParams } from '../only-params';
import { ctx } from '../request-context';
import { router } from '../router';

export const MAX_PAGE = 1000;

export const ListQuery = z.strictObject({
  ...FILTERS,
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(100),
  cursor: z.string().max(200).optional(),
});
export const ExportQuery = z.strictObject({ ...FILTERS, format: z.enum(['csv', 'ndjson']).default('ndjson') });
export const SummaryQuery = z
  .strictObject({
    since: FILTERS.since,
    until: FILTERS.until,
    bucket: z.enum(Object.keys(BUCKETS) as [Bucket, ...Bucket[]]).optional(),
    by: z.enum(SPLITS).optional(),
  })
  .refine((q) => q.by === undefined || q.bucket !== undefined, { message: 'by needs a bucket (1h or 1d)', path: ['by'] });
const NoQuery = z.strictObject({});

/** Query string -> typed filters, or a 400 naming the parameter (unknown ones included). */
const parseAuditQuery = <S extends z.ZodType>(req: Request, schema: S): z.infer<S> => onlyParams(req, schema, 'invalid_audit_query');

/** The policy layer decides; the grants whose rules allowed it are named in the audit entry. */
function authorise(res: Response, action: string): string[] {
  const c = ctx(res);
  c.action = action;
  c.resource = 'audit';
  return authorize(c.access!.ability, 'read_audit', AUDIT_SUBJECT);
}

async function guarded<T>(deps: AppDeps, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    // A refusal decided while reading (too many points) is the caller's, not the store's.
    if (e instanceof GatewayError) throw e;
    throw fail('audit_unavailable', 'the audit log cannot be read right now; try again', {}, e);
  }
}

export function auditRoutes(deps: AppDeps): Router {
  const r = router();
  const db = () => deps.state.knex;

  r.get('/v1/audit', async (req, res) => {
    const grantIds = authorise(res, 'audit_read');
    const { limit, cursor, ...filters } = parseAuditQuery(req, ListQuery);
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows: AuditRow[] = await guarded(deps, () => {
      const q = whereFilters(db()('mg_audit'), filters);
      if (before !== undefined) q.where('id', '<', before);
      return q.orderBy('id', 'desc').limit(limit + 1);
    });
    const page = rows.slice(0, limit);
    const nextCursor = rows.length > limit ? encodeCursor(Number(page[page.length - 1].id)) : null;
    await recordOutcome(deps, req, res, {
      decision: 'allow',
      reason: 'read_audit: list entries',
      status: 200,
      rowCount: page.length,
      grantIds,
      details: { query: { ...req.query } },
    });
    res.json({ entries: page.map(toEntry), nextCursor });
  });

  r.get('/v1/audit/export', async (req, res) => {
    const grantIds = authorise(res, 'audit_export');
    const { format, ...filters } = parseAuditQuery(req, ExportQuery);
    // Recorded before the first byte: the stream cannot be taken back once it has started.
    await recordOutcome(deps, req, res, { decision: 'allow', reason: `read_audit: export ${format}`, status: 200, grantIds, details: { query: { ...req.query } } });
    res.status(200);
    res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
    res.setHeader('Content-Disposition', `attachment; filename="meshguard-audit.${format === 'csv' ? 'csv' : 'ndjson'}"`);
    res.setHeader('Cache-Control', 'no-store');
    try {
      await exportAudit(db(), filters, format, res);
    } catch (e) {
      // Headers are gone: break the connection so the client sees an incomplete export, never a short one that looks whole.
      deps.logger.error({ err: e, requestId: ctx(res).requestId }, 'audit export failed mid-stream');
      res.destroy(e as Error);
      return;
    }
    res.end();
  });

  r.get('/v1/audit/summary', async (req, res) => {
    const grantIds = authorise(res, 'audit_summary');
    const { bucket, by, ...range } = parseAuditQuery(req, SummaryQuery);
    const summary = await guarded(deps, async () => {
      const totals = await summariseAudit(db(), range);
      if (bucket === undefined) return totals;
      return { ...totals, bucket, by: by ?? null, series: await auditSeries(db(), range, bucket, by) };
    });
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'read_audit: summary', status: 200, rowCount: summary.total, grantIds, details: { query: { ...req.query } } });
    res.json(summary);
  });

  r.get('/v1/audit/verify', async (req, res) => {
    const grantIds = authorise(res, 'audit_verify');
    parseAuditQuery(req, NoQuery);
    const report = await guarded(deps, () => verifyAudit(db(), deps.auditKey.publicKey, deps.config.dataDir));
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'read_audit: verify chain', status: 200, rowCount: report.entries, grantIds, details: report as unknown as Record<string, unknown> });
    res.json(report);
  });

  return r;
}
