// 0004 (issue 5): idempotency keys, the write log behind quotas and the anomaly breaker, each
// writer's baseline (also its lock row), and writer pauses. Shared by every gateway process.
import type { Migration } from '../migration';

export const guardrails: Migration = {
  async up(knex) {
    await knex.schema.createTable('mg_idempotency', (t) => {
      t.string('subject', 255).notNullable();
      t.string('key', 255).notNullable();
      t.string('request_hash', 64).notNullable();
      t.string('state', 8).notNullable(); // running | done
      t.integer('status').nullable();
      t.text('body').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable().index();
      t.primary(['subject', 'key']);
    });
    // One row per committed (or in-flight) guarded write: rows written and, per guarded column, sum and count.
    await knex.schema.createTable('mg_guard_writes', (t) => {
      t.increments('id').primary();
      t.string('subject', 255).notNullable();
      t.string('dataset', 255).notNullable();
      t.bigInteger('ts').notNullable();
      t.integer('rows').notNullable();
      t.text('stats').notNullable();
      t.index(['subject', 'dataset', 'ts']);
    });
    await knex.schema.createTable('mg_guard_writers', (t) => {
      t.string('subject', 255).notNullable();
      t.string('dataset', 255).notNullable();
      t.bigInteger('baseline_window').nullable();
      t.integer('baseline_rows').nullable();
      t.text('baseline_means').nullable();
      t.bigInteger('baseline_at').nullable();
      t.primary(['subject', 'dataset']);
    });
    await knex.schema.createTable('mg_guard_pauses', (t) => {
      t.string('id', 36).primary();
      t.string('subject', 255).notNullable();
      t.string('domain', 64).notNullable();
      t.string('dataset', 255).notNullable();
      t.text('reason').notNullable();
      t.text('details').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('resumed_at').nullable();
      t.string('resumed_by', 255).nullable();
      t.text('resume_reason').nullable();
      t.index(['subject', 'dataset']);
    });
  },
  async down(knex) {
    for (const t of ['mg_guard_pauses', 'mg_guard_writers', 'mg_guard_writes', 'mg_idempotency']) await knex.schema.dropTableIfExists(t);
  },
};
