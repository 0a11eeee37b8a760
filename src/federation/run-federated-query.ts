// The federated SQL use case (issue 14), shared by every surface that serves it: one SELECT over
// `domain.dataset` tables. Each table becomes the caller's governed view of it (planRead: the columns
// they may read, masked ones as tokens, their row rules), fetched from its own store with the query's
// simple WHERE comparisons pushed down, loaded into an embedded DuckDB of its own, and the query runs
// there under a time limit and an answer cap.
import type { DuckDBValue } from '@duckdb/node-api';
import type { Config } from '../config';
import { fail, GatewayError } from '../errors';
import type { AppAbility } from '../policy/build-ability';
import { authorizeDataset } from '../policy/authorize';
import { columnVisibility } from '../policy/decide-columns';
import type { DatasetInfo, Policies } from '../policy/load-policies';
import type { Masker } from '../policy/mask-value';
import type { ColumnType } from '../policy/policy-schema';
import { checkColumn, planRead, type ReadPlan } from '../query/plan-read';
import type { Filter } from '../query/query-spec';
import type { StoreRegistry } from '../stores/store-registry';
import { analyseSql, refuseSerializeError, withoutLiterals, type SqlAnalysis } from './analyse-sql';
import { DuckdbSession } from './duckdb-session';
import { loadDataset } from './load-dataset';
import { fromDuckdb } from './duckdb-values';

export interface FederatedDeps {
  policies: Policies;
  stores: StoreRegistry;
  mask: Masker;
  limits: Config['query'];
}

export interface DatasetUse {
  dataset: string;
  store: string;
  storeKind: string;
  columns: string[];
  pushedDown: { column: string; op: string; value: unknown }[];
  rowsFetched: number;
}

export interface FederatedAnswer {
  fingerprint: string;
  datasets: DatasetUse[];
  grantIds: string[];
  /** Absent for an explain. */
  columns?: { name: string; type: ColumnType; masked: boolean }[];
  rows?: Record<string, unknown>[];
}

/** The datasets a query names, each authorised for reading (403 `forbidden` with `missing` if not). */
function datasetsOf(deps: FederatedDeps, ability: AppAbility, a: SqlAnalysis): Map<string, DatasetInfo> {
  const out = new Map<string, DatasetInfo>();
  for (const t of a.tables) {
    const key = `${t.domain}.${t.dataset}`;
    if (out.has(key)) continue;
    const ds = deps.policies.datasets.get(key);
    if (!ds && ![...deps.policies.datasets.values()].some((d) => d.domain === t.domain)) {
      throw fail('sql_not_allowed', `${t.domain.slice(0, 64)} is not a domain: a query reads only domain.dataset tables`, { refused: 'a schema that is not a domain' });
    }
    if (!ds) throw fail('dataset_not_found', `no dataset ${key.slice(0, 130)}`);
    authorizeDataset(ability, 'read', ds);
    out.set(key, ds);
  }
  return out;
}

/** The columns to fetch of each dataset; a column named but denied anywhere it could mean is refused by name. */
function columnsOf(ability: AppAbility, a: SqlAnalysis, datasets: Map<string, DatasetInfo>): Map<string, string[]> {
  const byAlias = new Map<string, DatasetInfo>();
  for (const t of a.tables) byAlias.set(t.alias, datasets.get(`${t.domain}.${t.dataset}`)!);
  const visible = (ds: DatasetInfo, c: string) => Object.hasOwn(ds.columns, c) && columnVisibility(ability, ds, c) !== 'denied';
  const named = new Set<string>();
  for (const ref of a.columns) {
    const col = ref[ref.length - 1];
    named.add(col);
    const owner = ref.length >= 2 ? byAlias.get(ref[ref.length - 2]) : undefined;
    const candidates = owner ? [owner] : [...datasets.values()].filter((ds) => Object.hasOwn(ds.columns, col));
    if (candidates.length && !candidates.some((ds) => visible(ds, col))) checkColumn(ability, candidates[0], col, 'select');
  }
  const out = new Map<string, string[]>();
  for (const [key, ds] of datasets) {
    const readable = ds.columnNames.filter((c) => visible(ds, c));
    let cols = a.star ? readable : readable.filter((c) => named.has(c));
    // A query that names none of its columns (count(*)) still needs its rows.
    if (cols.length === 0) cols = [readable.includes(ds.primaryKey) ? ds.primaryKey : readable[0]];
    out.set(key, cols);
  }
  return out;
}

/** WHERE comparisons of the outermost SELECT on one dataset named once, on a column shown in clear on every row. */
function pushdownOf(ability: AppAbility, a: SqlAnalysis, datasets: Map<string, DatasetInfo>): Map<string, Filter[]> {
  const uses = new Map<string, number>();
  for (const t of a.tables) uses.set(`${t.domain}.${t.dataset}`, (uses.get(`${t.domain}.${t.dataset}`) ?? 0) + 1);
  const top = a.topTables.filter((t) => uses.get(`${t.domain}.${t.dataset}`) === 1);
  const out = new Map<string, Filter[]>();
  for (const cmp of a.comparisons) {
    const col = cmp.column[cmp.column.length - 1];
    const owners = cmp.column.length >= 2 ? top.filter((t) => t.alias === cmp.column[cmp.column.length - 2]) : top.filter((t) => Object.hasOwn(datasets.get(`${t.domain}.${t.dataset}`)!.columns, col));
    if (owners.length !== 1 || (cmp.column.length === 1 && a.tables.length !== top.length)) continue;
    const key = `${owners[0].domain}.${owners[0].dataset}`;
    const ds = datasets.get(key)!;
    if (!Object.hasOwn(ds.columns, col) || columnVisibility(ability, ds, col) !== 'clear') continue;
    if (typeof cmp.value !== 'string' && typeof cmp.value !== 'number' && typeof cmp.value !== 'boolean') continue;
    if (ds.columns[col].type === 'boolean') continue;
    out.set(key, [...(out.get(key) ?? []), { column: col, op: cmp.op, negated: false, value: String(cmp.value) }]);
  }
  return out;
}

/** What the audit keeps of a federated query, whichever surface ran it: its fingerprint, every dataset with its columns and rows fetched, rows returned. */
export function queryAuditDetails(answer: FederatedAnswer, rowsReturned: number | null) {
  const sql = answer.fingerprint.slice(0, 2000);
  return {
    sql,
    columns: answer.datasets.flatMap((d) => d.columns.map((col) => `${d.dataset}.${col}`)),
    details: { sql, datasets: answer.datasets.map((d) => ({ dataset: d.dataset, store: d.store, columns: d.columns, rowsFetched: d.rowsFetched })), rowsReturned },
  };
}

function asDuckParams(params: readonly unknown[]): DuckDBValue[] {
  return params.map((p) => p as DuckDBValue);
}

export async function runFederatedQuery(deps: FederatedDeps, ability: AppAbility, sql: string, params: readonly unknown[], explain: boolean): Promise<FederatedAnswer> {
  const session = await DuckdbSession.open(deps.limits);
  try {
    const { tree, statements } = await session.parse(sql);
    if (statements > 1) throw fail('sql_not_allowed', 'one statement at a time', { refused: 'several statements' });
    if (tree.error === true) refuseSerializeError(tree, await session.statementKind(sql));
    const analysis = analyseSql(tree, params);
    const fingerprint = await session.deserialize(withoutLiterals(tree));
    const datasets = datasetsOf(deps, ability, analysis);
    const columns = columnsOf(ability, analysis, datasets);
    const pushed = pushdownOf(ability, analysis, datasets);
    const plans: { plan: ReadPlan; use: DatasetUse }[] = [];
    for (const [key, ds] of datasets) {
      const store = deps.stores.get(ds.store)!;
      const filters = pushed.get(key) ?? [];
      const plan = planRead(ability, ds, { select: columns.get(key), filters, order: [], limit: deps.limits.maxFetchRows + 1, offset: 0 }, store.dialect);
      plans.push({ plan, use: { dataset: key, store: ds.store, storeKind: store.dialect, columns: columns.get(key)!, pushedDown: filters.map((f) => ({ column: f.column, op: f.op, value: f.value })), rowsFetched: 0 } });
    }
    const grantIds = [...new Set(plans.flatMap((p) => p.plan.grantIds))];
    return await session.withTimeout(deps.limits.timeoutMs, async () => {
      for (const p of plans) p.use.rowsFetched = await loadDataset(session, deps.stores.get(p.plan.ds.store)!, p.plan, deps.mask, deps.limits.maxFetchRows);
      const base = { fingerprint, datasets: plans.map((p) => p.use), grantIds };
      if (explain) return base;
      let reader;
      try {
        reader = await session.connection.runAndReadUntil(sql, deps.limits.maxRows + 1, asDuckParams(params));
      } catch (e) {
        if (e instanceof GatewayError) throw e;
        throw fail('sql_invalid', `the query cannot run: ${String((e as Error).message).split('\n')[0].slice(0, 300)}`, {}, e);
      }
      if (reader.currentRowCount > deps.limits.maxRows) {
        throw fail('query_too_large', `the answer would hold more than ${deps.limits.maxRows} rows (MESHGUARD_QUERY_MAX_ROWS); aggregate or add LIMIT`, { limitRows: deps.limits.maxRows });
      }
      return { ...base, ...fromDuckdb(reader) };
    });
  } finally {
    session.close();
  }
}
