// 0003 (least privilege, issue 4): token revocations, subject suspensions, their version counters,
// and the last write a grant authorised (for "broader than use" in access reviews).
import type { Migration } from '../migration';

export const leastPrivilege: Migration = {
  async up(knex) {
    await knex.schema.createTable('mg_revocations', (t) => {
      t.string('id', 36).primary();
      /** One token by its jti, or every token of `subject` issued before `issued_before`. */
      t.string('jti', 255).nullable().index();
      t.string('subject', 255).nullable().index();
      t.bigInteger('issued_before').nullable();
      t.text('reason').notNullable();
      t.string('created_by', 255).notNullable();
      t.bigInteger('created_at').notNullable();
      /** Every token this revocation names has expired by then: the row may be pruned. */
      t.bigInteger('prune_after').notNullable().index();
    });
    await knex.schema.createTable('mg_suspensions', (t) => {
      t.string('subject', 255).primary();
      t.text('reason').notNullable();
      t.string('created_by', 255).notNullable();
      t.bigInteger('created_at').notNullable();
    });
    await knex.schema.alterTable('mg_grants', (t) => {
      t.bigInteger('last_write_at').nullable();
    });
    await knex('mg_counters').insert([
      { name: 'revocations_version', value: 0 },
      { name: 'suspensions_version', value: 0 },
    ]);
  },
  async down(knex) {
    await knex('mg_counters').whereIn('name', ['revocations_version', 'suspensions_version']).delete();
    await knex.schema.alterTable('mg_grants', (t) => t.dropColumn('last_write_at'));
    await knex.schema.dropTableIfExists('mg_suspensions');
    await knex.schema.dropTableIfExists('mg_revocations');
  },
};
