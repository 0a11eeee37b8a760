// The state store's schema, as knex migrations kept in code (knex takes the migration lock, so
// several gateway processes starting together on one PostgreSQL apply each migration once).
// Each migration is a file under migrations/; add it to the list below under its sortable name.
import type { Knex } from 'knex';
import type { Migration } from './migration';
import { grantsAndAudit } from './migrations/0001_grants_and_audit';
import { auditCheckpoints } from './migrations/0002_audit_checkpoints';
import { leastPrivilege } from './migrations/0003_least_privilege';
import { guardrails } from './migrations/0004_guardrails';
import { sharing } from './migrations/0005_sharing';
import { auditRowid } from './migrations/0006_audit_rowid';

const MIGRATIONS: Record<string, Migration> = {
  '0001_grants_and_audit': grantsAndAudit,
  '0002_audit_checkpoints': auditCheckpoints,
  '0003_least_privilege': leastPrivilege,
  '0004_guardrails': guardrails,
  '0005_sharing': sharing,
  '0006_audit_rowid': auditRowid,
};

export const stateMigrations: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(MIGRATIONS).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => MIGRATIONS[name],
};
