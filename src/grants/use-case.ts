// What the management use cases (grant-commands.ts, subject-commands.ts) share, whoever calls them (an
// HTTP route or an operator's CLI verb): who acts, how the actor is authorised, the checks on names and
// reasons every change makes, and the change they return with the content of its audit entry.
import { fail } from '../errors';
import type { AppAbility } from '../policy/build-ability';

/** A token's subject with its ability (HTTP), or the host's operator, who acts as a full admin (CLI). */
export type Actor = { kind: 'subject'; subject: string; ability: AppAbility } | { kind: 'operator'; subject: string; user: string };

/** A change and what its audit entry records: before/after, reason, and the grants that allowed it.
 *  The caller commits both in one state transaction (http/change-with-audit.ts, cli/cli-session.ts). */
export interface Change<T> {
  result: T;
  action: string;
  resource: string;
  reason: string;
  status: number;
  details: Record<string, unknown>;
  /** The grants whose rules allowed the change; none for the host operator. */
  grantIds: string[];
}

/** Authorises the actor through `check` (which calls policy/authorize.ts); the operator needs no grant. */
export function actorMay(actor: Actor, check: (ability: AppAbility) => string[]): string[] {
  return actor.kind === 'operator' ? [] : check(actor.ability);
}

/** Separation of duties: the names the actor goes by (the operator's audit name and OS user). */
export function isSelf(actor: Actor, subject: string): boolean {
  return subject === actor.subject || (actor.kind === 'operator' && subject === actor.user);
}

export const MAX_REASON = 1000;
export const MAX_SUBJECT = 255;

/** Every change says why: a missing or blank reason is 400 reason_required, wherever it comes from. */
export function requireReason(reason: string | undefined | null): string {
  const r = reason?.trim();
  if (!r) throw fail('reason_required', 'a reason is required: say why (it is kept in the audit log)');
  if (r.length > MAX_REASON) throw fail('bad_request', `a reason is at most ${MAX_REASON} characters`);
  return r;
}

/** A subject name as tokens carry it (1 to 255 characters); anything else names nobody and is not echoed. */
export function subjectName(name: string): string {
  if (name.length === 0 || name.length > MAX_SUBJECT) throw fail('bad_request', `a subject name is 1 to ${MAX_SUBJECT} characters`);
  return name;
}
