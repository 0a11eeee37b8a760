// The share use cases (issue 15), one function of (deps, actor, input, trx) each, for the HTTP routes
// (and any CLI verb): create a share, add a recipient (its profile file shown once), revoke a
// recipient, delete a share. Each authorises the actor through the policy layer (manage_shares on the
// share's domain: an admin anywhere, a steward in their own domain) and returns the change with the
// content of its audit entry; the caller commits both in one state transaction.
import { subject as asSubject } from '@casl/ability';
import type { Knex } from 'knex';
import type { Clock } from '../clock';
import { fail } from '../errors';
import { actorMay, requireReason, type Actor, type Change } from '../grants/use-case';
import { SHARE_SUBJECT, type AppAbility } from '../policy/build-ability';
import { authorize } from '../policy/authorize';
import type { Policies } from '../policy/load-policies';
import { newRecipientToken } from './recipient-token';
import { planShareTables, SHARE_NAME, type NewShareInput } from './share-definition';
import type { ShareStore } from './share-store';
import { shareResource, type Recipient, type Share } from './share-types';

export interface ShareCommandDeps {
  shares: ShareStore;
  policies: Policies;
  clock: Clock;
}

/** The longest a recipient's token may live. */
export const MAX_RECIPIENT_DAYS = 365;

/** The grants that let the actor manage the shares of `domain`, or the standard refusal. */
export const authorizeShares = (ability: AppAbility, domain: string): string[] => authorize(ability, 'manage_shares', asSubject(SHARE_SUBJECT, { domain }));

/** May the ability manage the shares of `domain` (a filter for listings). */
export const mayManageShares = (ability: AppAbility, domain: string): boolean => ability.can('manage_shares', asSubject(SHARE_SUBJECT, { domain }));

/** The share `name` with the grants that let the actor manage it; 404 only to one who may manage some share. */
export async function shareToManage(deps: ShareCommandDeps, actor: Actor, name: string, trx?: Knex.Transaction): Promise<{ share: Share; grantIds: string[] }> {
  const share = SHARE_NAME.test(name) ? await deps.shares.byName(name, trx) : undefined;
  if (!share) {
    actorMay(actor, (ability) => authorize(ability, 'manage_shares', SHARE_SUBJECT));
    throw fail('share_not_found', SHARE_NAME.test(name) ? `no share ${name}` : 'no share has that name (share names are lower case identifiers)');
  }
  return { share, grantIds: actorMay(actor, (ability) => authorizeShares(ability, share.domain)) };
}

export async function createShare(deps: ShareCommandDeps, actor: Actor, input: NewShareInput, trx: Knex.Transaction): Promise<Change<Share>> {
  const reason = requireReason(input.reason);
  const grantIds = actorMay(actor, (ability) => authorizeShares(ability, input.domain));
  if (!deps.policies.domains.includes(input.domain)) throw fail('dataset_not_found', `no domain ${input.domain}`);
  const planned = planShareTables(deps.policies, input.domain, input.tables);
  // A pii column leaves in clear only if the creator may read it in clear: the domain's steward, not an admin.
  const clearedBy = planned.flatMap(({ ds, table }) => table.clear.flatMap((c) => actorMay(actor, (ability) => authorize(ability, 'read', ds.subjectType, c))));
  const share = await deps.shares.create({ name: input.name, domain: input.domain, tables: planned.map((p) => p.table), reason, createdBy: actor.subject }, deps.clock.now(), trx);
  return {
    result: share,
    action: 'share_create',
    resource: shareResource(share.name),
    reason,
    status: 201,
    details: { before: null, after: share, reason },
    grantIds: [...new Set([...grantIds, ...clearedBy])],
  };
}

export interface NewRecipientInput {
  share: string;
  name: string;
  expiresAt: string;
  reason?: string;
  /** The protocol's endpoint as partners reach it, for the profile file. */
  endpoint: string;
}

/** The profile file a recipient's connector reads (PROTOCOL.md, Profile File Format). */
export interface Profile {
  shareCredentialsVersion: 1;
  endpoint: string;
  bearerToken: string;
  expirationTime: string;
}

export async function addRecipient(deps: ShareCommandDeps, actor: Actor, input: NewRecipientInput, trx: Knex.Transaction): Promise<Change<{ recipient: Recipient; profile: Profile }>> {
  const reason = requireReason(input.reason);
  const { share, grantIds } = await shareToManage(deps, actor, input.share, trx);
  if (share.deletedAt) throw fail('share_deleted', `share ${share.name} was deleted; it takes no new recipients`);
  const now = deps.clock.now();
  const expiresAt = new Date(input.expiresAt);
  if (expiresAt.getTime() <= now.getTime()) throw fail('invalid_body', 'expiresAt: must be in the future');
  if (expiresAt.getTime() > now.getTime() + MAX_RECIPIENT_DAYS * 86_400_000) throw fail('invalid_body', `expiresAt: at most ${MAX_RECIPIENT_DAYS} days ahead`);
  const { token, hash } = newRecipientToken();
  const recipient = await deps.shares.addRecipient({ shareId: share.id, name: input.name, tokenHash: hash, reason, createdBy: actor.subject, expiresAt }, now, trx);
  const profile: Profile = { shareCredentialsVersion: 1, endpoint: input.endpoint, bearerToken: token, expirationTime: recipient.expiresAt };
  return {
    result: { recipient, profile },
    action: 'share_add_recipient',
    resource: shareResource(share.name),
    reason,
    status: 201,
    // The token is in the answer only: never in the audit log.
    details: { before: null, after: recipient, reason },
    grantIds,
  };
}

export async function revokeRecipient(deps: ShareCommandDeps, actor: Actor, input: { share: string; recipient: string; reason?: string }, trx: Knex.Transaction): Promise<Change<Recipient>> {
  const reason = requireReason(input.reason);
  const { share, grantIds } = await shareToManage(deps, actor, input.share, trx);
  const before = SHARE_NAME.test(input.recipient) ? await deps.shares.recipient(share.id, input.recipient, trx) : undefined;
  const after = before && !before.revokedAt ? await deps.shares.revokeRecipient(before.id, actor.subject, reason, deps.clock.now(), trx) : undefined;
  if (!before || !after) throw fail('recipient_not_found', `share ${share.name} has no active recipient by that name`);
  return { result: after, action: 'share_revoke_recipient', resource: shareResource(share.name), reason, status: 204, details: { before, after, reason }, grantIds };
}

export async function deleteShare(deps: ShareCommandDeps, actor: Actor, input: { share: string; reason?: string }, trx: Knex.Transaction): Promise<Change<Share>> {
  const reason = requireReason(input.reason);
  const { share, grantIds } = await shareToManage(deps, actor, input.share, trx);
  const after = share.deletedAt ? undefined : await deps.shares.markDeleted(share.id, actor.subject, reason, deps.clock.now(), trx);
  if (!after) throw fail('share_not_found', `share ${share.name} was already deleted`);
  return { result: after, action: 'share_delete', resource: shareResource(share.name), reason, status: 204, details: { before: share, after, reason }, grantIds };
}
