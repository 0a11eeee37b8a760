// The policy reload an operator asks for with SIGHUP (the HTTP route, POST /v1/admin/policies/reload,
// audits its own request): reloads through the holder and records the outcome, kept or swapped, in
// the audit log under the operator's name for the signal.
import crypto from 'node:crypto';
import type { AuditInput } from '../audit/audit-entry';
import type { AuditLog } from '../audit/audit-log';
import type { Clock } from '../clock';
import { GatewayError } from '../errors';
import type { PolicyHolder, Reloaded } from './policy-holder';

export async function reloadAudited(deps: { policyHolder: PolicyHolder; audit: AuditLog; clock: Clock }, by: string): Promise<Reloaded> {
  const entry = (o: Pick<AuditInput, 'decision' | 'reason' | 'status' | 'details'>): AuditInput => ({
    ts: deps.clock.now(),
    requestId: crypto.randomUUID(),
    subject: by,
    action: 'reload_policies',
    resource: 'policies',
    policyVersion: deps.policyHolder.current.version,
    ...o,
  });
  let r: Reloaded;
  try {
    r = await deps.policyHolder.reload();
  } catch (e) {
    const code = e instanceof GatewayError ? e.code : 'internal';
    await deps.audit.record(entry({ decision: 'deny', reason: `${code}: ${(e as Error).message}`.slice(0, 500), status: e instanceof GatewayError ? e.status : 500, details: null }));
    throw e;
  }
  await deps.audit.record(entry({ decision: 'allow', reason: r.changed ? 'policies reloaded' : 'policies unchanged', status: 200, details: { ...r } }));
  return r;
}
