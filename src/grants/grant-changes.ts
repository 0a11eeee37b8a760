// The rules every grant change obeys, whoever makes it (HTTP route or operator CLI): a known role on a
// valid domain, an expiry within the role's maxGrantDays (defaulting to it), and never revoking the
// last admin grant. Pure checks plus one store read; the caller commits the change with its audit entry.
import type { Knex } from 'knex';
import { fail } from '../errors';
import type { Policies, RoleInfo } from '../policy/load-policies';
import { lookup } from '../policy/lookup-table';
import type { GrantStore } from './grant-store';
import type { Grant } from './grant-types';
import type { RevocationStore } from './revocation-store';
import { bumpVersion } from './state-versions';

const DAY_MS = 86_400_000;

/** The latest expiry a grant of `role` made or renewed at `now` may have. */
export function maxExpiry(role: RoleInfo, now: Date): Date {
  return new Date(now.getTime() + role.maxGrantDays * DAY_MS);
}

/** `expiresAt` if given (within the role's bound), else the bound itself. */
export function boundedExpiry(role: RoleInfo, expiresAt: string | undefined, now: Date): Date {
  const max = maxExpiry(role, now);
  const at = expiresAt ? new Date(expiresAt) : max;
  if (Number.isNaN(at.getTime())) throw fail('invalid_grant', 'expiresAt is not a date');
  if (at.getTime() <= now.getTime()) throw fail('invalid_grant', 'expiresAt is in the past');
  if (at.getTime() > max.getTime()) throw fail('invalid_grant', `${role.name} grants last at most ${role.maxGrantDays} days (until ${max.toISOString()})`);
  return at;
}

/** Resolves and validates a new grant's role, domain and expiry. */
export function planNewGrant(policies: Policies, body: { role: string; domain?: string; expiresAt?: string }, now: Date): { role: RoleInfo; domain: string; expiresAt: Date } {
  // A client's name is looked up as an own key only: `constructor` or `__proto__` is an unknown role.
  const role = lookup(policies.roles, body.role);
  if (!role) throw fail('invalid_grant', `unknown role ${body.role.length <= 64 ? body.role : '(too long)'}; roles are ${Object.keys(policies.roles).join(', ')}`);
  const domain = body.domain ?? (role.scope === 'global' ? '*' : undefined);
  if (role.scope === 'global' && domain !== '*') throw fail('invalid_grant', `role ${role.name} is global: give domain "*" or none`);
  if (role.scope === 'domain' && (!domain || !policies.domains.includes(domain))) {
    throw fail('invalid_grant', `role ${role.name} is granted per domain; domain must be one of ${policies.domains.join(', ')}`);
  }
  return { role, domain: domain!, expiresAt: boundedExpiry(role, body.expiresAt, now) };
}

/** A renewal's new expiry: within the role's bound from now (a role no longer in the policies cannot be renewed). */
export function planRenewal(policies: Policies, grant: Grant, expiresAt: string | undefined, now: Date): Date {
  const role = lookup(policies.roles, grant.role);
  if (!role) throw fail('invalid_grant', `role ${grant.role} is no longer in the policies; it cannot be renewed`);
  return boundedExpiry(role, expiresAt, now);
}

/**
 * Refuses a change that would leave no working admin: revoking the last active admin grant, or
 * suspending the last admin who is not suspended (an admin who is suspended cannot administer, so
 * does not count). Without a working admin nobody could grant, revoke or resume anyone again.
 */
export async function assertAdminRemains(
  stores: { grants: GrantStore; revocations: RevocationStore },
  change: { revoking?: readonly Grant[]; suspending?: string },
  now: Date,
  trx: Knex.Transaction,
): Promise<void> {
  const revoking = change.revoking ?? [];
  const active = (g: Grant) => g.role === 'admin' && !g.revokedAt && (!g.expiresAt || Date.parse(g.expiresAt) > now.getTime());
  if (!revoking.some((g) => g.role === 'admin') && change.suspending === undefined) return;
  // Take the grants counter's row lock first: concurrent admin revocations and suspensions then run
  // one after the other, and each sees the other's result (PostgreSQL read committed; SQLite's write lock).
  await bumpVersion(trx, 'grants_version');
  const all = await stores.grants.list({}, trx);
  if (change.suspending !== undefined && !revoking.length && !all.some((g) => active(g) && g.subject === change.suspending)) return;
  const out = new Set((await stores.revocations.suspensions(trx)).map((s) => s.subject));
  if (change.suspending !== undefined) out.add(change.suspending);
  const ids = new Set(revoking.map((g) => g.id));
  const admins = all.filter((g) => active(g) && !ids.has(g.id) && !out.has(g.subject));
  if (admins.length === 0) {
    throw fail('last_admin', change.suspending !== undefined ? 'this would suspend the last admin who is not suspended; grant another admin first' : 'this would revoke the last admin grant of a subject who is not suspended; grant another admin first');
  }
}
