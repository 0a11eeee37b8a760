// The version counters that invalidate every in-process cache of access state: grants, token
// revocations, suspensions. Each change bumps its counter in the same transaction, so one cheap query
// per request (all three counters at once) tells every process sharing the state store what changed.
import type { Knex } from 'knex';

export const COUNTERS = ['grants_version', 'revocations_version', 'suspensions_version'] as const;
export type Counter = (typeof COUNTERS)[number];
export type Versions = Record<Counter, number>;

export async function readVersions(knex: Knex): Promise<Versions> {
  const rows: { name: Counter; value: number | string }[] = await knex('mg_counters').whereIn('name', [...COUNTERS]).select('name', 'value');
  const out = { grants_version: 0, revocations_version: 0, suspensions_version: 0 };
  for (const r of rows) out[r.name] = Number(r.value);
  return out;
}

export async function bumpVersion(trx: Knex.Transaction, name: Counter): Promise<void> {
  await trx('mg_counters').where({ name }).increment('value', 1);
}
