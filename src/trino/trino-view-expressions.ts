// The answers of the row-filters and column-masks endpoints, in the shapes of Trino's OPA plugin
// (schema/OpaRowFiltersQueryResult.java: {"result": [{"expression", "identity"?}]};
// schema/OpaBatchColumnMaskQueryResult.java: {"result": [{"index", "viewExpression": {"expression", "identity"?}}]}).
// No expression names another identity: each is evaluated as the querying user.
// Deny by default: a table meshguard does not know, or in another catalog, gets the filter `false`
// and every column NULL; the catalog's information_schema gets neither (Trino filters it itself).
import type { OpaResource } from './opa-request';
import { INFORMATION_SCHEMA } from './trino-catalog';
import type { TrinoAccess } from './trino-decisions';
import { columnMaskOf, nullOf, rowFilterOf } from './trino-sql';

export interface ViewExpression {
  expression: string;
}

type Table = { catalogName: string; schemaName: string; tableName: string };

function datasetOf(a: TrinoAccess, t: Table) {
  if (t.catalogName !== a.catalog.name) return undefined;
  return a.catalog.dataset(t.schemaName, t.tableName);
}

const isMetadata = (a: TrinoAccess, t: Table): boolean => t.catalogName === a.catalog.name && t.schemaName === INFORMATION_SCHEMA;

/** GetRowFilters: one filter (the rows some rule lets the subject read), none when every row may be read. */
export function rowFilters(a: TrinoAccess, t: Table): { target: string; result: ViewExpression[] } {
  if (isMetadata(a, t)) return { target: `${t.catalogName}.${t.schemaName}.${t.tableName}`, result: [] };
  const ds = datasetOf(a, t);
  if (!ds) return { target: `${t.catalogName}.${t.schemaName}.${t.tableName}`, result: [{ expression: 'false' }] };
  const filter = rowFilterOf(a.ability, ds);
  return { target: ds.key, result: filter === undefined ? [] : [{ expression: filter }] };
}

/** GetColumnMask (batch): a mask per column that may not be read in clear on every visible row. */
export function columnMasks(a: TrinoAccess, resources: readonly OpaResource[]): { targets: string[]; masked: string[]; result: { index: number; viewExpression: ViewExpression }[] } {
  const result: { index: number; viewExpression: ViewExpression }[] = [];
  const targets = new Set<string>();
  const masked: string[] = [];
  resources.forEach((r, index) => {
    const c = r.column;
    if (!c) return;
    const ds = datasetOf(a, c);
    let expression: string | undefined;
    if (ds) {
      targets.add(ds.key);
      expression = columnMaskOf(a.ability, ds, a.catalog.column(ds, c.columnName), c.columnType);
    } else {
      targets.add(`${c.catalogName}.${c.schemaName}.${c.tableName}`);
      if (!isMetadata(a, c)) expression = nullOf(c.columnType);
    }
    if (expression === undefined) return;
    masked.push(c.columnName);
    result.push({ index, viewExpression: { expression } });
  });
  return { targets: [...targets], masked, result };
}
