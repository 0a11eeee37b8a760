// 0005 (issue 15): shares with partners (Delta Sharing), their recipients (tokens kept only as
// SHA-256 hashes) and the versions of each shared table's snapshot.
import type { Migration } from '../migration';

export const sharing: Migration = {
  async up(knex) {
    await knex.schema.createTable('mg_shares', (t) => {
      t.string('id', 36).primary();
      // Names are lower case (the protocol's names are case-insensitive); a deleted share keeps its name.
      t.string('name', 64).notNullable().unique();
      t.string('domain', 64).notNullable().index();
      /** The share's tables as JSON: dataset, alias, id, columns, rows (CASL conditions), clear columns. */
      t.text('tables').notNullable();
      t.text('reason').notNullable();
      t.string('created_by', 255).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('deleted_at').nullable();
      t.string('deleted_by', 255).nullable();
      t.text('delete_reason').nullable();
    });
    await knex.schema.createTable('mg_share_recipients', (t) => {
      t.string('id', 36).primary();
      t.string('share_id', 36).notNullable();
      t.string('name', 64).notNullable();
      t.string('token_hash', 64).notNullable().unique();
      t.text('reason').notNullable();
      t.string('created_by', 255).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('revoked_at').nullable();
      t.string('revoked_by', 255).nullable();
      t.text('revoke_reason').nullable();
      t.bigInteger('last_used_at').nullable();
      t.unique(['share_id', 'name']);
    });
    // Each distinct content of a shared table's snapshot gets the next version.
    await knex.schema.createTable('mg_share_versions', (t) => {
      t.string('share_id', 36).notNullable();
      t.string('table_id', 36).notNullable();
      t.integer('version').notNullable();
      t.string('file_hash', 64).notNullable();
      t.bigInteger('size').notNullable();
      t.bigInteger('rows').notNullable();
      t.bigInteger('created_at').notNullable();
      t.primary(['share_id', 'table_id', 'version']);
    });
  },
  async down(knex) {
    for (const t of ['mg_share_versions', 'mg_share_recipients', 'mg_shares']) await knex.schema.dropTableIfExists(t);
  },
};
