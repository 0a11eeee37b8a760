// Start-up check that every dataset's table and columns exist in its store, so a missing table or a
// renamed column shows at start (one log line per dataset, a /healthz detail) rather than only as a
// 503 on the first request that touches it. The gateway still serves the datasets that are sound.
import type { Policies, DatasetInfo } from '../policy/load-policies';
import type { Store, StoreRegistry } from './store-registry';

/** What is wrong with a dataset, in a few words (names from the catalog, never driver text), and the
 *  driver error behind it when its store failed (for the log only). */
export interface DatasetProblem {
  problem: string;
  cause?: unknown;
}

/** Dataset key -> its problem; sound datasets are absent. */
export type DatasetProblems = ReadonlyMap<string, DatasetProblem>;

/** How long one dataset's check may wait for its store before the store counts as not answering. */
const CHECK_TIMEOUT_MS = 5000;

async function checkDataset(store: Store, ds: DatasetInfo): Promise<string | undefined> {
  if (!(await store.knex.schema.hasTable(ds.table))) return `missing table ${ds.table}`;
  const columns = await store.knex(ds.table).columnInfo();
  const missing = ds.columnNames.filter((c) => !Object.hasOwn(columns, c));
  if (missing.length) return `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  return undefined;
}

/** Checks every dataset at once. */
export async function checkDatasets(policies: Policies, stores: StoreRegistry): Promise<DatasetProblems> {
  const problems = new Map<string, DatasetProblem>();
  await Promise.all(
    [...policies.datasets.values()].map(async (ds) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      });
      try {
        const problem = await Promise.race([checkDataset(stores.get(ds.store)!, ds), timeout]);
        if (problem) problems.set(ds.key, { problem });
      } catch (e) {
        problems.set(ds.key, { problem: `store ${ds.store} did not answer the check`, cause: e });
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  // Catalog order, so the log and /healthz read the same on every start.
  return new Map([...policies.datasets.keys()].filter((k) => problems.has(k)).map((k) => [k, problems.get(k)!]));
}
