// 0001: grants, counters, the audit chain and its head, metadata.
import type { Migration } from '../migration';

export const grantsAndAudit: Migration = {
  async up(knex) {
    await knex.schema.createTable('mg_grants', (t) => {
      t.string('id', 36).primary();
      t.string('subject', 255).notNullable().index();
      t.string('role', 64).notNullable();
      t.string('domain', 64).notNullable();
      t.text('reason').notNullable();
      t.string('created_by', 255).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').nullable();
      t.bigInteger('revoked_at').nullable();
      t.string('revoked_by', 255).nullable();
      t.text('revoke_reason').nullable();
      t.bigInteger('last_used_at').nullable();
    });
    // Counters, for example the grants version that invalidates cached abilities on every process.
    await knex.schema.createTable('mg_counters', (t) => {
      t.string('name', 64).primary();
      t.bigInteger('value').notNullable();
    });
    await knex('mg_counters').insert({ name: 'grants_version', value: 0 });
    await knex.schema.createTable('mg_audit', (t) => {
      t.bigInteger('id').primary();
      t.bigInteger('ts').notNullable().index();
      t.string('request_id', 64).notNullable();
      t.string('subject', 255).nullable().index();
      t.string('action', 64).notNullable();
      t.string('resource', 255).nullable();
      t.string('decision', 8).notNullable();
      t.text('reason').nullable();
      t.integer('status').notNullable();
      t.text('columns').nullable();
      t.integer('row_count').nullable();
      t.text('fingerprint').nullable();
      t.string('client_ip', 64).nullable();
      t.double('latency_ms').nullable();
      t.text('grant_ids').nullable();
      t.string('policy_version', 64).nullable();
      t.text('details').nullable();
      t.string('prev_hash', 64).notNullable();
      t.string('hash', 64).notNullable();
    });
    // The head of the hash chain: one row, locked by every append so the chain stays linear
    // even with several gateway processes writing to one PostgreSQL state store.
    await knex.schema.createTable('mg_audit_head', (t) => {
      t.integer('id').primary();
      t.bigInteger('last_id').notNullable();
      t.string('last_hash', 64).notNullable();
    });
    await knex('mg_audit_head').insert({ id: 1, last_id: 0, last_hash: '0'.repeat(64) });
    await knex.schema.createTable('mg_meta', (t) => {
      t.string('key', 64).primary();
      t.text('value').notNullable();
    });
  },
  async down(knex) {
    for (const t of ['mg_meta', 'mg_audit_head', 'mg_audit', 'mg_counters', 'mg_grants']) await knex.schema.dropTableIfExists(t);
  },
};
