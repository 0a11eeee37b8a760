// Access review findings for one grant, a pure function of the grant, its role and now: unused for the
// period asked, expiring soon, or broader than its use (a role that may write, used only for reads).
import type { RoleInfo } from '../policy/load-policies';
import { DATA_ACTIONS } from '../policy/policy-schema';
import type { Grant } from './grant-types';

export type Finding = 'unused' | 'expiring_soon' | 'broader_than_use';

export interface ReviewItem {
  grant: Grant;
  findings: Finding[];
  /** Why, in words, one line per finding. */
  notes: string[];
}

/** The role actions that write (an upsert needs insert and update); their use is counted in grant-usage.ts. */
const WRITES: readonly string[] = DATA_ACTIONS.filter((a) => a !== 'read');

export function roleMayWrite(role: RoleInfo | undefined): boolean {
  return !!role?.allRules.some((r) => !r.inverted && r.actions.some((a) => WRITES.includes(a)));
}

export function reviewGrant(grant: Grant, role: RoleInfo | undefined, now: Date, opts: { unusedForMs: number; expiringWithinMs: number }): ReviewItem {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const t = now.getTime();
  // A grant never used counts from its creation: a grant made yesterday is not "unused for 30 days".
  const lastUse = Date.parse(grant.lastUsedAt ?? grant.createdAt);
  if (t - lastUse >= opts.unusedForMs) {
    findings.push('unused');
    notes.push(grant.lastUsedAt ? `last used ${grant.lastUsedAt}` : `never used since it was granted on ${grant.createdAt}`);
  }
  if (grant.expiresAt && Date.parse(grant.expiresAt) - t <= opts.expiringWithinMs) {
    findings.push('expiring_soon');
    notes.push(`expires ${grant.expiresAt}`);
  }
  if (grant.lastUsedAt && roleMayWrite(role) && (!grant.lastWriteAt || t - Date.parse(grant.lastWriteAt) >= opts.unusedForMs)) {
    findings.push('broader_than_use');
    notes.push(`${grant.role} may write, but the grant was used only for reads${grant.lastWriteAt ? ` since ${grant.lastWriteAt}` : ''}`);
  }
  return { grant, findings, notes };
}
