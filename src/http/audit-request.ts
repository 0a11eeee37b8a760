// Writes the request's audit entry before the answer leaves (fail closed): if the audit store cannot
// be written, the caller gets a 503 and no data. Every outcome goes through here.
import type { Request, Response } from 'express';
import type { AuditInput } from '../audit/audit-entry';
import type { AppDeps } from '../app-deps';
import { fail, GatewayError } from '../errors';
import { ctx, elapsedMs } from './request-context';

export type Outcome = Partial<Pick<AuditInput, 'columns' | 'rowCount' | 'fingerprint' | 'grantIds' | 'details' | 'resource' | 'action'>> & {
  decision: 'allow' | 'deny';
  reason: string | null;
  status: number;
};

export function auditEntry(deps: AppDeps, req: Request, res: Response, o: Outcome): AuditInput {
  const c = ctx(res);
  return {
    ts: deps.clock.now(),
    requestId: c.requestId,
    subject: c.principal?.subject ?? c.recipient ?? null,
    action: o.action ?? c.action ?? `${req.method} ${req.path}`.slice(0, 64),
    resource: o.resource ?? c.resource ?? null,
    decision: o.decision,
    reason: o.reason,
    status: o.status,
    columns: o.columns ?? c.columns ?? null,
    rowCount: o.rowCount ?? null,
    fingerprint: o.fingerprint ?? c.fingerprint ?? null,
    clientIp: c.ip,
    latencyMs: elapsedMs(c),
    // Without a more precise answer from the route, an allowed request names the grants in force.
    grantIds: o.grantIds ?? (o.decision === 'allow' && c.access ? c.access.grants.map((g) => g.id) : null),
    // The version the request was decided under: a reload while it runs does not relabel it.
    policyVersion: (c.access?.policies ?? deps.policies).version,
    details: o.details ?? null,
  };
}

/** Records the outcome through the group-committed audit log; throws audit_unavailable on failure. */
export async function recordOutcome(deps: AppDeps, req: Request, res: Response, o: Outcome): Promise<void> {
  try {
    const entry = auditEntry(deps, req, res, o);
    ctx(res).auditId = await deps.audit.record(entry);
    // Usage (lastUsedAt) counts only the grants that decided the request, not every grant in force.
    if (o.decision === 'allow' && o.grantIds?.length) deps.usage.touch(o.grantIds, entry);
  } catch (e) {
    // The audit layer's own 503 (a broken chain) names what is wrong; any other failure gets the general one.
    if (e instanceof GatewayError) throw e;
    throw fail('audit_unavailable', 'the audit log cannot be written, so the request was refused; nothing was returned or changed', {}, e);
  } finally {
    ctx(res).audited = true;
  }
}
