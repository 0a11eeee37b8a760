// Who may manage which grants, asked of the CASL ability (rules on the Grant subject) through the one
// entry point, authorize(): the composite questions the management surface asks (may oversee a
// domain, may act on every subject) are answered here, never in a route.
import { subject as asSubject } from '@casl/ability';
import { GRANT_SUBJECT, type AppAbility } from './build-ability';
import { authorize, refusal } from './authorize';
import type { Policies } from './load-policies';

export type GrantAction = 'grant' | 'revoke' | 'list_grants';

/** The CASL subject of a grant of `role` on `domain`. */
export const grantSubject = (g: { domain: string; role: string }) => asSubject(GRANT_SUBJECT, { domain: g.domain, role: g.role });

/** May `action` the grant (a filter for listings; decisions go through authorizeGrant). */
export function mayManage(ability: AppAbility, action: GrantAction, g: { domain: string; role: string }): boolean {
  return ability.can(action, grantSubject(g));
}

/** The grants that allow `action` on the grant `g`, or the standard refusal. */
export function authorizeGrant(ability: AppAbility, action: GrantAction, g: { domain: string; role: string }): string[] {
  return authorize(ability, action, grantSubject(g));
}

/** May revoke some role's grants in `domain` (an admin, or the domain's steward: explain, reviews): the grants that allow it, or the standard refusal. */
export function authorizeOversight(ability: AppAbility, policies: Policies, domain: string): string[] {
  const roles = Object.keys(policies.roles).filter((role) => mayManage(ability, 'revoke', { domain, role }));
  if (roles.length === 0) throw refusal(`revoke grants on ${domain} (admin, or the domain's steward)`);
  return [...new Set(roles.flatMap((role) => authorizeGrant(ability, 'revoke', { domain, role })))];
}

/** May revoke every role on every domain and globally: the subject-wide operations (token revocation,
 *  suspension) need this, since they take away all of a subject's access at once. */
export function mayManageEverything(ability: AppAbility, policies: Policies): boolean {
  return ['*', ...policies.domains].every((domain) => Object.keys(policies.roles).every((role) => mayManage(ability, 'revoke', { domain, role })));
}

/** The grants that make the caller an admin (mayManageEverything), or the standard refusal. */
export function authorizeEverything(ability: AppAbility, policies: Policies): string[] {
  if (!mayManageEverything(ability, policies)) throw refusal('revoke every role on every domain (admin)');
  return [...new Set(['*', ...policies.domains].flatMap((domain) => Object.keys(policies.roles).flatMap((role) => authorizeGrant(ability, 'revoke', { domain, role }))))];
}
