// Trino's operations -> meshguard's decisions, asked of the subject's CASL ability (the one the HTTP API
// uses) through the one authorisation entry point's allowingGrants(). Deny by default: an operation not
// named here, a catalog other than meshguard's, an unknown schema, table or column is denied.
//   ExecuteQuery, AccessCatalog, ShowSchemas, FilterCatalogs: the subject may read or write some dataset.
//   FilterSchemas, ShowTables: some dataset of the domain; FilterTables, ShowColumns: some column of it.
//   SelectFromColumns, FilterColumns: every column named may be read (in clear or masked; masks and row
//     filters come from the row-filters and column-masks endpoints); no column named: some column.
//   InsertIntoTable: every column may be inserted on every row (Trino names no columns, and cannot check
//     a new row against meshguard's write conditions); UpdateTableColumns: each column updated likewise.
//   The catalog's information_schema: readable by whoever may use the catalog (Trino filters its rows
//     through FilterSchemas, FilterTables and FilterColumns).
import { allowingGrants } from '../policy/authorize';
import { READ_MASKED, type AppAbility } from '../policy/build-ability';
import { columnVisibility } from '../policy/decide-columns';
import type { DatasetInfo, Policies } from '../policy/load-policies';
import type { OpaResource } from './opa-request';
import { INFORMATION_SCHEMA, type TrinoCatalog } from './trino-catalog';
import { unconditional } from './trino-sql';

export interface TrinoAccess {
  ability: AppAbility;
  policies: Policies;
  catalog: TrinoCatalog;
}

export interface Decision {
  allowed: boolean;
  /** The grants that allow it (empty when denied). */
  grantIds: string[];
  /** What was decided on, for the audit entry: `domain.dataset`, a domain, or Trino's own name. */
  target: string;
  /** Columns decided on, if any. */
  columns?: string[];
}

const DATA_ACTIONS = ['read', READ_MASKED, 'insert', 'update'] as const;

const uniq = (ids: string[]): string[] => [...new Set(ids)];

/** The grants that give any access to some column of `ds`. */
function datasetGrants(a: TrinoAccess, ds: DatasetInfo): string[] {
  return uniq(ds.columnNames.flatMap((c) => DATA_ACTIONS.flatMap((act) => allowingGrants(a.ability, act, ds.subjectType, c))));
}

const anyAccess = new WeakMap<AppAbility, string[]>();

/** The grants that give the subject any data access (computed once per ability: abilities are cached per subject and version). */
function dataGrants(a: TrinoAccess): string[] {
  let ids = anyAccess.get(a.ability);
  if (!ids) anyAccess.set(a.ability, (ids = uniq([...a.policies.datasets.values()].flatMap((ds) => datasetGrants(a, ds)))));
  return ids;
}

const readGrants = (a: TrinoAccess, ds: DatasetInfo, column: string): string[] =>
  columnVisibility(a.ability, ds, column) === 'denied' ? [] : uniq([...allowingGrants(a.ability, 'read', ds.subjectType, column), ...allowingGrants(a.ability, READ_MASKED, ds.subjectType, column)]);

const ok = (target: string, grantIds: string[], columns?: string[]): Decision => ({ allowed: grantIds.length > 0, grantIds, target, columns });
const no = (target: string, columns?: string[]): Decision => ({ allowed: false, grantIds: [], target, columns });

/** Every one of `columns` passes `grantsOf` (non-empty): the union of their grants; else denied. */
function everyColumn(ds: DatasetInfo, a: TrinoAccess, columns: readonly string[], grantsOf: (column: string) => string[]): Decision {
  const target = ds.key;
  const ids: string[] = [];
  const names: string[] = [];
  for (const name of columns) {
    const column = a.catalog.column(ds, name);
    const g = column === undefined ? [] : grantsOf(column);
    if (g.length === 0) return no(target, [...columns]);
    ids.push(...g);
    names.push(column!);
  }
  return ok(target, uniq(ids), names);
}

function tableDecision(a: TrinoAccess, operation: string, t: NonNullable<OpaResource['table']>): Decision {
  const trinoName = `${t.catalogName}.${t.schemaName}.${t.tableName}`;
  if (t.catalogName !== a.catalog.name) return no(trinoName);
  const columns = t.columns ?? [];
  if (t.schemaName === INFORMATION_SCHEMA) {
    const metadata = ['FilterTables', 'ShowColumns', 'SelectFromColumns', 'FilterColumns'].includes(operation);
    return metadata ? ok(trinoName, dataGrants(a), columns) : no(trinoName);
  }
  const ds = a.catalog.dataset(t.schemaName, t.tableName);
  if (!ds) return no(trinoName, columns);
  switch (operation) {
    case 'FilterTables':
    case 'ShowColumns':
      return ok(ds.key, datasetGrants(a, ds));
    case 'SelectFromColumns':
    case 'FilterColumns':
      if (columns.length === 0) return ok(ds.key, uniq(ds.columnNames.flatMap((c) => readGrants(a, ds, c))));
      return everyColumn(ds, a, columns, (c) => readGrants(a, ds, c));
    case 'InsertIntoTable':
      return everyColumn(ds, a, ds.columnNames, (c) => (unconditional(a.ability, ds, 'insert', c) ? allowingGrants(a.ability, 'insert', ds.subjectType, c) : []));
    case 'UpdateTableColumns':
      if (columns.length === 0) return no(ds.key);
      return everyColumn(ds, a, columns, (c) => (unconditional(a.ability, ds, 'update', c) ? allowingGrants(a.ability, 'update', ds.subjectType, c) : []));
    default:
      return no(ds.key, columns);
  }
}

const CATALOG_OPERATIONS = ['AccessCatalog', 'ShowSchemas', 'FilterCatalogs'];
const SCHEMA_OPERATIONS = ['FilterSchemas', 'ShowTables'];
const TABLE_OPERATIONS = ['FilterTables', 'ShowColumns', 'SelectFromColumns', 'FilterColumns', 'InsertIntoTable', 'UpdateTableColumns'];

/** The decision on one resource (the `allow` endpoint, and each item of a batch). */
export function decide(a: TrinoAccess, operation: string, r: OpaResource | null | undefined): Decision {
  if (operation === 'ExecuteQuery') return ok('trino', dataGrants(a));
  if (CATALOG_OPERATIONS.includes(operation) && r?.catalog) {
    const name = r.catalog.name;
    return name === a.catalog.name ? ok(name, dataGrants(a)) : no(name);
  }
  if (SCHEMA_OPERATIONS.includes(operation) && r?.schema) {
    const { catalogName, schemaName } = r.schema;
    const trinoName = `${catalogName}.${schemaName}`;
    if (catalogName !== a.catalog.name) return no(trinoName);
    if (schemaName === INFORMATION_SCHEMA) return ok(trinoName, dataGrants(a));
    const domain = a.catalog.domain(schemaName);
    if (!domain) return no(trinoName);
    return ok(domain, uniq([...a.policies.datasets.values()].filter((ds) => ds.domain === domain).flatMap((ds) => datasetGrants(a, ds))));
  }
  if (TABLE_OPERATIONS.includes(operation) && r?.table) return tableDecision(a, operation, r.table);
  return no(r?.table ? `${r.table.catalogName}.${r.table.schemaName}.${r.table.tableName}` : (r?.schema?.schemaName ?? r?.catalog?.name ?? 'trino'));
}

/**
 * The batch endpoint's decisions: the indexes allowed, and one decision per index. FilterColumns
 * comes as one table whose `columns` are the items (OpaBatchAccessControl.filterColumns): its indexes
 * are those of the columns.
 */
export function decideBatch(a: TrinoAccess, operation: string, resources: readonly OpaResource[]): Decision[] {
  const t = resources[0]?.table;
  if (operation === 'FilterColumns' && resources.length === 1 && t?.columns) {
    return t.columns.map((column) => tableDecision(a, operation, { ...t, columns: [column] }));
  }
  return resources.map((r) => decide(a, operation, r));
}
