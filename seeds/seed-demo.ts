// Seeds the demo data mesh on first run: creates each missing dataset table with its demo rows,
// and the demo grants once per state store. Never touches a table or state that already exists.
import type pino from 'pino';
import type { AuditLog } from '../src/audit/audit-log';
import type { Clock } from '../src/clock';
import type { Config } from '../src/config';
import type { GrantStore } from '../src/grants/grant-store';
import type { Policies } from '../src/policy/load-policies';
import type { StateDb } from '../src/state/open-state';
import type { StoreRegistry } from '../src/stores/store-registry';
import { createSystemGrant } from '../src/grants/create-system-grant';
import { toStoreValue } from '../src/query/coerce-value';
import { createDatasetTable } from './create-tables';
import { DEMO_GRANTS, DEMO_ROWS } from './demo-data';

interface SeedDeps {
  audit: AuditLog;
  config: Config;
  policies: Policies;
  stores: StoreRegistry;
  state: StateDb;
  grants: GrantStore;
  clock: Clock;
  logger: pino.Logger;
}

const DAY_MS = 86_400_000;
const DEMO_SEED_SUBJECT = 'system:demo-seed';

export async function seedDatasets(policies: Policies, stores: StoreRegistry, logger?: pino.Logger): Promise<void> {
  for (const ds of policies.datasets.values()) {
    const store = stores.get(ds.store)!;
    if (await store.knex.schema.hasTable(ds.table)) continue;
    await store.knex.transaction(async (trx) => {
      await createDatasetTable(trx, ds);
      const rows = (DEMO_ROWS[ds.key]?.() ?? []).map((r) =>
        Object.fromEntries(Object.entries(r).map(([c, v]) => [c, toStoreValue(c, ds.columns[c].type, v, store.dialect)])),
      );
      for (let i = 0; i < rows.length; i += 200) await trx(ds.table).insert(rows.slice(i, i + 200));
      logger?.info({ dataset: ds.key, rows: rows.length }, 'seeded demo dataset');
    });
  }
}

export async function seedDemoIfNew(d: SeedDeps): Promise<void> {
  await seedDatasets(d.policies, d.stores, d.logger);
  const knex = d.state.knex;
  await knex.transaction(async (trx) => {
    if (await trx('mg_meta').where({ key: 'demo_grants_seeded' }).first()) return;
    const now = d.clock.now();
    for (const g of DEMO_GRANTS) {
      const role = d.policies.roles[g.role];
      if (!role) continue;
      const expiresAt = new Date(now.getTime() + role.maxGrantDays * DAY_MS);
      await createSystemGrant({ ...d, policyVersion: d.policies.version }, { ...g, createdBy: DEMO_SEED_SUBJECT, expiresAt }, now, trx);
    }
    await trx('mg_meta').insert({ key: 'demo_grants_seeded', value: now.toISOString() });
    d.logger.info({ grants: DEMO_GRANTS.length }, 'seeded demo grants');
  });
}
