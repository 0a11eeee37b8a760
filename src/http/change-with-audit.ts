// Runs an admin change (grants, revocations, suspensions, reviews) and its audit entry in one state
// transaction: both commit or neither. The entry carries before/after and the admin's reason.
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { AppDeps } from '../app-deps';
import { GatewayError, fail } from '../errors';
import { auditEntry } from './audit-request';
import { ctx } from './request-context';

export interface ChangeOutcome<T> {
  result: T;
  details: Record<string, unknown>;
  reason: string;
  resource: string;
  status: number;
  /** The grants that allowed the change (the rule that matched), for the audit entry. */
  grantIds?: string[];
}

export async function changeWithAudit<T>(deps: AppDeps, req: Request, res: Response, work: (trx: Knex.Transaction) => Promise<ChangeOutcome<T>>): Promise<T> {
  try {
    const result = await deps.state.knex.transaction(async (trx) => {
      const out = await work(trx);
      await deps.audit.recordIn(trx, auditEntry(deps, req, res, { decision: 'allow', reason: out.reason, status: out.status, resource: out.resource, details: out.details, grantIds: out.grantIds }));
      return out.result;
    });
    ctx(res).audited = true;
    return result;
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw fail('audit_unavailable', 'the change and its audit entry could not be committed together; nothing was changed', {}, e);
  }
}
