// Who may manage which grants, asked of the CASL ability (rules on the Grant subject), so routes and
// the review/explain/suspension endpoints never check roles themselves.
import { subject as asSubject } from '@casl/ability';
import { GRANT_SUBJECT, grantOfRule, type AppAbility } from './build-ability';
import type { Policies } from './load-policies';

export type GrantAction = 'grant' | 'revoke' | 'list_grants';

export function mayManage(ability: AppAbility, action: GrantAction, g: { domain: string; role: string }): boolean {
  return ability.can(action, asSubject(GRANT_SUBJECT, { domain: g.domain, role: g.role }));
}

/** The grant whose rule allowed a grant change, for its audit entry. */
export function allowedBy(ability: AppAbility, action: 'grant' | 'revoke', g: { domain: string; role: string }): string[] {
  const id = grantOfRule(ability.relevantRuleFor(action, asSubject(GRANT_SUBJECT, { domain: g.domain, role: g.role })));
  return id ? [id] : [];
}

/** May revoke some role's grants in `domain`: an admin, or the domain's steward (explain, reviews). */
export function mayOverseeDomain(ability: AppAbility, policies: Policies, domain: string): boolean {
  return Object.keys(policies.roles).some((role) => mayManage(ability, 'revoke', { domain, role }));
}

/** May revoke every role on every domain and globally: the subject-wide operations (token revocation,
 *  suspension) need this, since they take away all of a subject's access at once. */
export function mayManageEverything(ability: AppAbility, policies: Policies): boolean {
  return ['*', ...policies.domains].every((domain) => Object.keys(policies.roles).every((role) => mayManage(ability, 'revoke', { domain, role })));
}
