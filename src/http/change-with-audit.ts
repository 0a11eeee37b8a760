// Runs a management use case (grants/grant-commands.ts, grants/subject-commands.ts) for the request's
// caller, and its audit entry, in one state transaction: both commit or neither. The use case builds
// the entry's content (before/after, reason, the grants that allowed it); this adds the request's part.
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { AppDeps } from '../app-deps';
import { GatewayError, fail } from '../errors';
import type { Actor, Change } from '../grants/use-case';
import { settleChange } from '../state/change-feed';
import { auditEntry } from './audit-request';
import { ctx } from './request-context';

/** The authenticated caller as the use cases see it. */
export function actorOf(res: Response): Actor {
  const c = ctx(res);
  return { kind: 'subject', subject: c.principal!.subject, ability: c.access!.ability };
}

export async function changeWithAudit<T>(deps: AppDeps, req: Request, res: Response, work: (actor: Actor, trx: Knex.Transaction) => Promise<Change<T>>): Promise<T> {
  const actor = actorOf(res);
  try {
    const result = await deps.state.knex.transaction(async (trx) => {
      const out = await work(actor, trx);
      await deps.audit.recordIn(trx, auditEntry(deps, req, res, { decision: 'allow', action: out.action, reason: out.reason, status: out.status, resource: out.resource, details: out.details, grantIds: out.grantIds }));
      return out.result;
    });
    ctx(res).audited = true;
    // On shared PostgreSQL state, the change is acknowledged only once every replica must see it
    // (the change lease of state/change-feed.ts).
    await settleChange(deps.state.dialect);
    return result;
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw fail('audit_unavailable', 'the change and its audit entry could not be committed together; nothing was changed', {}, e);
  }
}
