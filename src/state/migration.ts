// One migration of the state store's schema: knex runs `up` once per database.
import type { Knex } from 'knex';

export interface Migration {
  up: (knex: Knex) => Promise<void>;
  down: (knex: Knex) => Promise<void>;
}
