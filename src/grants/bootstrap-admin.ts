// MESHGUARD_BOOTSTRAP_ADMIN=<sub>: that subject holds an active admin grant after every start
// (idempotent), so a fresh deployment can be administered. The grant is audited as the system's.
import type { Knex } from 'knex';
import type { AuditLog } from '../audit/audit-log';
import type { Clock } from '../clock';
import { ConfigError } from '../errors';
import type { Policies } from '../policy/load-policies';
import { createSystemGrant } from './create-system-grant';
import type { GrantStore } from './grant-store';

export const SYSTEM_SUBJECT = 'system:meshguard';

export async function ensureBootstrapAdmin(grants: GrantStore, audit: AuditLog, knex: Knex, subject: string, policies: Policies, clock: Clock): Promise<void> {
  const role = policies.roles.admin;
  if (!role) throw new ConfigError('MESHGUARD_BOOTSTRAP_ADMIN: the policies define no admin role');
  const now = clock.now();
  if ((await grants.active(subject, now)).some((g) => g.role === 'admin')) return;
  const expiresAt = new Date(now.getTime() + role.maxGrantDays * 86_400_000);
  await knex.transaction((trx) =>
    createSystemGrant(
      { grants, audit, policyVersion: policies.version },
      { subject, role: 'admin', domain: '*', reason: 'MESHGUARD_BOOTSTRAP_ADMIN at start-up', createdBy: SYSTEM_SUBJECT, expiresAt },
      now,
      trx,
    ),
  );
}
