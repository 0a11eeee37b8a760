// Trino's names -> meshguard's: in the one Trino catalog meshguard governs (MESHGUARD_TRINO_CATALOG),
// each schema is a domain, each table a dataset and each column the dataset's column of that name.
// Trino folds names to lower case, so names match case-insensitively; two policy names that fold to
// the same name map to neither (deny by default). Maps, not objects: `__proto__` names nothing.
import type { DatasetInfo, Policies } from '../policy/load-policies';

/** Trino's own metadata schema in every catalog: its rows are filtered by FilterSchemas/Tables/Columns. */
export const INFORMATION_SCHEMA = 'information_schema';

export interface TrinoCatalog {
  name: string;
  domain(schema: string): string | undefined;
  dataset(schema: string, table: string): DatasetInfo | undefined;
  column(ds: DatasetInfo, column: string): string | undefined;
}

/** Keys folded to lower case; a folded key reached by two names is left out. */
function folded<T>(entries: [string, T][]): Map<string, T> {
  const out = new Map<string, T>();
  const clash = new Set<string>();
  for (const [k, v] of entries) {
    const key = k.toLowerCase();
    if (out.has(key)) clash.add(key);
    out.set(key, v);
  }
  for (const key of clash) out.delete(key);
  return out;
}

function buildCatalog(policies: Policies, name: string): TrinoCatalog {
  const domains = folded(policies.domains.map((d) => [d, d]));
  const datasets = folded([...policies.datasets.values()].map((ds) => [`${ds.domain}\0${ds.name}`, ds]));
  const columns = new Map([...policies.datasets.values()].map((ds) => [ds, folded(ds.columnNames.map((c) => [c, c]))]));
  return {
    name,
    domain: (schema) => domains.get(schema.toLowerCase()),
    dataset: (schema, table) => datasets.get(`${schema}\0${table}`.toLowerCase()),
    column: (ds, column) => columns.get(ds)?.get(column.toLowerCase()),
  };
}

const built = new WeakMap<Policies, TrinoCatalog>();

/** The catalog of the policies in force, built once per policies object (a reload builds it anew). */
export function trinoCatalog(policies: Policies, name: string): TrinoCatalog {
  let c = built.get(policies);
  if (!c || c.name !== name) built.set(policies, (c = buildCatalog(policies, name)));
  return c;
}
