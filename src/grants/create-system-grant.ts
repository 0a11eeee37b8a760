// Grants made by the gateway itself (bootstrap admin, demo seed), audited like any other grant and
// committed with their audit entry in the caller's state transaction.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { AuditLog } from '../audit/audit-log';
import type { GrantStore, NewGrant } from './grant-store';
import type { Grant } from './grant-types';

export async function createSystemGrant(
  deps: { grants: GrantStore; audit: AuditLog; policyVersion: string },
  g: NewGrant,
  now: Date,
  trx: Knex.Transaction,
): Promise<Grant> {
  const created = await deps.grants.create(g, now, trx);
  await deps.audit.recordIn(trx, {
    ts: now,
    requestId: crypto.randomUUID(),
    subject: g.createdBy,
    action: 'grant',
    resource: `grant:${created.id}`,
    decision: 'allow',
    reason: g.reason,
    status: 201,
    policyVersion: deps.policyVersion,
    details: { before: null, after: created, reason: g.reason },
  });
  return created;
}
