// The subject-wide use cases, once for the HTTP routes and the operators' CLI: suspend and resume a
// subject, revoke a subject's tokens (one by jti, or all issued before an instant). They take away all of
// a subject's access at once, so only an admin (may revoke every role everywhere) or the operator may.
import type { Knex } from 'knex';
import { CLOCK_TOLERANCE_S } from '../auth/verify-token';
import type { Clock } from '../clock';
import { fail } from '../errors';
import { authorizeEverything } from '../policy/grant-decisions';
import type { Policies } from '../policy/load-policies';
import { assertAdminRemains } from './grant-changes';
import type { GrantStore } from './grant-store';
import type { Revocation, RevocationStore } from './revocation-store';
import { actorMay, isSelf, requireReason, subjectName, type Actor, type Change } from './use-case';

export interface SubjectCommandDeps {
  grants: GrantStore;
  revocations: RevocationStore;
  policies: Policies;
  clock: Clock;
  config: { tokenMaxAgeMs: number };
}

export interface SuspensionChange {
  subject: string;
  suspended: boolean;
  since?: string;
  reason: string;
}

const mayActOnSubjects = (deps: SubjectCommandDeps, actor: Actor) => actorMay(actor, (ability) => authorizeEverything(ability, deps.policies));

export async function suspendSubject(deps: SubjectCommandDeps, actor: Actor, input: { subject: string; reason?: string }, trx: Knex.Transaction): Promise<Change<SuspensionChange>> {
  const subject = subjectName(input.subject);
  const grantIds = mayActOnSubjects(deps, actor);
  const reason = requireReason(input.reason);
  if (isSelf(actor, subject)) throw fail('self_grant', 'nobody can suspend themselves; ask another admin');
  const now = deps.clock.now();
  await assertAdminRemains(deps, { suspending: subject }, now, trx);
  const s = await deps.revocations.suspend(subject, reason, actor.subject, now, trx);
  if (!s) throw fail('already_suspended', `${subject} is already suspended`);
  const result = { subject, suspended: true, since: s.createdAt, reason };
  return { result, action: 'suspend', resource: `subject:${subject}`, reason, status: 200, details: { before: null, after: s, reason }, grantIds };
}

export async function resumeSubject(deps: SubjectCommandDeps, actor: Actor, input: { subject: string; reason?: string }, trx: Knex.Transaction): Promise<Change<SuspensionChange>> {
  const subject = subjectName(input.subject);
  const grantIds = mayActOnSubjects(deps, actor);
  const reason = requireReason(input.reason);
  if (isSelf(actor, subject)) throw fail('self_grant', 'nobody can resume themselves; ask another admin');
  const before = await deps.revocations.resume(subject, trx);
  if (!before) throw fail('not_suspended', `${subject} is not suspended`);
  return { result: { subject, suspended: false, reason }, action: 'resume', resource: `subject:${subject}`, reason, status: 200, details: { before, after: null, reason }, grantIds };
}

export type TokenRevocationInput = { reason?: string } & ({ jti: string } | { subject: string; issuedBefore: string });

export async function revokeTokens(deps: SubjectCommandDeps, actor: Actor, input: TokenRevocationInput, trx: Knex.Transaction): Promise<Change<Revocation>> {
  const grantIds = mayActOnSubjects(deps, actor);
  const reason = requireReason(input.reason);
  const now = deps.clock.now();
  // A token lives at most tokenMaxAge after its iat; the revocation may go once all it names have expired.
  const slack = deps.config.tokenMaxAgeMs + CLOCK_TOLERANCE_S * 1000;
  let spec;
  if ('jti' in input) {
    if (input.jti.length === 0 || input.jti.length > 255) throw fail('bad_request', 'a jti is 1 to 255 characters');
    spec = { jti: input.jti, pruneAfter: new Date(now.getTime() + slack) };
  } else {
    const subject = subjectName(input.subject);
    const issuedBefore = new Date(input.issuedBefore);
    if (Number.isNaN(issuedBefore.getTime())) throw fail('invalid_body', 'issuedBefore is not a date');
    if (issuedBefore.getTime() > now.getTime() + CLOCK_TOLERANCE_S * 1000) throw fail('invalid_body', 'issuedBefore may not be in the future');
    spec = { subject, issuedBefore, pruneAfter: new Date(issuedBefore.getTime() + slack) };
  }
  await deps.revocations.prune(now, trx);
  const rev = await deps.revocations.revoke({ ...spec, reason, createdBy: actor.subject }, now, trx);
  return { result: rev, action: 'revoke_token', resource: `revocation:${rev.id}`, reason, status: 201, details: { before: null, after: rev, reason }, grantIds };
}
