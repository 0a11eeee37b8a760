// 0002: signed checkpoints of the audit chain, written by retention (audit-prune) before it deletes
// old entries, so the entries that remain still verify from the checkpoint on; and the signature of
// the chain head, renewed by every append, so a cut tail cannot be hidden by rewriting the head.
import type { Migration } from '../migration';

export const auditCheckpoints: Migration = {
  async up(knex) {
    await knex.schema.createTable('mg_audit_checkpoints', (t) => {
      t.bigIncrements('id').primary();
      /** The last pruned entry: the chain resumes at through_id + 1 with prev_hash = through_hash. */
      t.bigInteger('through_id').notNullable().unique();
      t.string('through_hash', 64).notNullable();
      t.bigInteger('through_ts').nullable();
      t.bigInteger('pruned').notNullable();
      t.bigInteger('created_at').notNullable();
      /** Ed25519 public key (base64 DER) and signature (base64) over the checkpoint's payload. */
      t.text('public_key').notNullable();
      t.text('signature').notNullable();
    });
    await knex.schema.alterTable('mg_audit_head', (t) => {
      t.text('head_sig').nullable();
    });
  },
  async down(knex) {
    await knex.schema.alterTable('mg_audit_head', (t) => {
      t.dropColumn('head_sig');
    });
    await knex.schema.dropTableIfExists('mg_audit_checkpoints');
  },
};
