// The grant use cases, once for the HTTP routes and the operators' CLI: grant, renew, revoke and apply
// an access review. Each is a function of (deps, actor, input, trx): it validates, authorises the actor
// through the policy layer, makes the change in the caller's state transaction and returns it with the
// content of its audit entry. The rules every change obeys live in grant-changes.ts.
import type { Knex } from 'knex';
import type { Clock } from '../clock';
import { fail } from '../errors';
import { isUuid } from '../is-uuid';
import { GRANT_SUBJECT } from '../policy/build-ability';
import { authorize } from '../policy/authorize';
import { authorizeGrant } from '../policy/grant-decisions';
import type { Policies } from '../policy/load-policies';
import { assertAdminRemains, planNewGrant, planRenewal } from './grant-changes';
import type { GrantStore } from './grant-store';
import type { Grant } from './grant-types';
import type { RevocationStore } from './revocation-store';
import { actorMay, isSelf, requireReason, subjectName, type Actor, type Change } from './use-case';

export interface GrantCommandDeps {
  grants: GrantStore;
  revocations: RevocationStore;
  policies: Policies;
  clock: Clock;
}

/** The audit resource of a grant id: echoed only if it could be one (ids are UUIDs; the path may hold anything). */
export const grantResource = (id: string): string => (isUuid(id) ? `grant:${id}` : 'grant:(not a grant id)');

const grantNotFound = (id: string, more = '') => fail('grant_not_found', `${isUuid(id) ? `no active grant ${id}` : 'no grant has that id (grant ids are UUIDs)'}${more}`);

/**
 * The active grant `id` with the grants that let the actor `action` it. Unknown, revoked or malformed
 * ids are 404 only to an actor who may `action` some grant (others get the same 403 for every id).
 */
async function grantToChange(deps: GrantCommandDeps, actor: Actor, id: string, action: 'grant' | 'revoke', trx: Knex.Transaction, more?: string): Promise<{ grant: Grant; grantIds: string[] }> {
  const grant = isUuid(id) ? await deps.grants.get(id, trx) : undefined;
  if (!grant || grant.revokedAt) {
    actorMay(actor, (ability) => authorize(ability, action, GRANT_SUBJECT));
    throw grantNotFound(id, more);
  }
  return { grant, grantIds: actorMay(actor, (ability) => authorizeGrant(ability, action, grant)) };
}

/** Revokes `grants` (never the last working admin's); their state after. */
async function revokeAll(deps: GrantCommandDeps, actor: Actor, grants: readonly Grant[], reason: string, trx: Knex.Transaction, more = ''): Promise<Grant[]> {
  const now = deps.clock.now();
  await assertAdminRemains(deps, { revoking: grants }, now, trx);
  const after: Grant[] = [];
  for (const g of grants) {
    const a = await deps.grants.revoke(g.id, actor.subject, reason, now, trx);
    if (!a) throw grantNotFound(g.id, more);
    after.push(a);
  }
  return after;
}

export interface NewGrantInput {
  subject: string;
  role: string;
  domain?: string;
  expiresAt?: string;
  reason?: string;
}

export async function grantRole(deps: GrantCommandDeps, actor: Actor, input: NewGrantInput, trx: Knex.Transaction): Promise<Change<Grant>> {
  const reason = requireReason(input.reason);
  const subject = subjectName(input.subject);
  const now = deps.clock.now();
  const { role, domain, expiresAt } = planNewGrant(deps.policies, input, now);
  const grantIds = actorMay(actor, (ability) => authorizeGrant(ability, 'grant', { domain, role: role.name }));
  if (isSelf(actor, subject)) throw fail('self_grant', 'nobody can grant a role to themselves; ask another admin');
  const g = await deps.grants.create({ subject, role: role.name, domain, reason, createdBy: actor.subject, expiresAt }, now, trx);
  return { result: g, action: 'grant', resource: `grant:${g.id}`, reason, status: 201, details: { before: null, after: g, reason }, grantIds };
}

/** Renewing is granting again for a new period: the same permission, the same bound, never for oneself. */
export async function renewGrant(deps: GrantCommandDeps, actor: Actor, input: { id: string; expiresAt?: string; reason?: string }, trx: Knex.Transaction): Promise<Change<Grant>> {
  const reason = requireReason(input.reason);
  const { grant, grantIds } = await grantToChange(deps, actor, input.id, 'grant', trx);
  if (isSelf(actor, grant.subject)) throw fail('self_grant', 'nobody can renew their own grant; ask another admin');
  const expiresAt = planRenewal(deps.policies, grant, input.expiresAt, deps.clock.now());
  const renewed = await deps.grants.renew(grant.id, expiresAt, trx);
  if (!renewed) throw grantNotFound(grant.id);
  return {
    result: renewed,
    action: 'renew',
    resource: `grant:${grant.id}`,
    reason,
    status: 200,
    details: { before: grant, after: renewed, oldExpiresAt: grant.expiresAt, newExpiresAt: renewed.expiresAt, reason },
    grantIds,
  };
}

export async function revokeGrant(deps: GrantCommandDeps, actor: Actor, input: { id: string; reason?: string }, trx: Knex.Transaction): Promise<Change<Grant>> {
  const reason = requireReason(input.reason);
  const { grant, grantIds } = await grantToChange(deps, actor, input.id, 'revoke', trx);
  const [after] = await revokeAll(deps, actor, [grant], reason, trx);
  return { result: after, action: 'revoke', resource: `grant:${grant.id}`, reason, status: 204, details: { before: grant, after, reason }, grantIds };
}

/** Revokes every grant a review names, all or nothing. */
export async function applyReview(deps: GrantCommandDeps, actor: Actor, input: { grantIds: string[]; reason?: string }, trx: Knex.Transaction): Promise<Change<Grant[]>> {
  const reason = requireReason(input.reason);
  actorMay(actor, (ability) => authorize(ability, 'revoke', GRANT_SUBJECT));
  if (new Set(input.grantIds).size !== input.grantIds.length) throw fail('bad_request', 'grant ids must be distinct');
  const before: Grant[] = [];
  const allowedBy = new Set<string>();
  for (const id of input.grantIds) {
    const { grant, grantIds } = await grantToChange(deps, actor, id, 'revoke', trx, '; nothing was revoked');
    before.push(grant);
    for (const g of grantIds) allowedBy.add(g);
  }
  const after = await revokeAll(deps, actor, before, reason, trx, '; nothing was revoked');
  const resource = `grants:${input.grantIds.length}`;
  return { result: after, action: 'review_apply', resource, reason, status: 200, details: { grantIds: input.grantIds, before, after, reason }, grantIds: [...allowedBy] };
}
