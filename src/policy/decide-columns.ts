// Per column of a dataset: may the caller see it in clear, only masked, or not at all; may it write it.
// Type-level decisions (any row); which rows a conditional rule covers is the query planner's job.
import type { DatasetInfo } from './load-policies';
import { AGGREGATE_METRICS, READ_MASKED, READ_METRICS, type AppAbility } from './build-ability';

export type ColumnVisibility = 'clear' | 'masked' | 'denied';

export function columnVisibility(ability: AppAbility, ds: DatasetInfo, column: string): ColumnVisibility {
  if (ability.can('read', ds.subjectType, column)) return 'clear';
  if (ability.can(READ_MASKED, ds.subjectType, column)) return 'masked';
  return 'denied';
}

export function visibleColumns(ability: AppAbility, ds: DatasetInfo): { name: string; visibility: ColumnVisibility }[] {
  return ds.columnNames
    .map((name) => ({ name, visibility: columnVisibility(ability, ds, name) }))
    .filter((c) => c.visibility !== 'denied');
}

/** The actions the caller may take on a dataset (on at least one column). */
export function datasetActions(ability: AppAbility, ds: DatasetInfo): string[] {
  const actions: string[] = [];
  if (ds.columnNames.some((c) => columnVisibility(ability, ds, c) !== 'denied')) actions.push('read');
  for (const a of ['insert', 'update'] as const) if (ds.columnNames.some((c) => ability.can(a, ds.subjectType, c))) actions.push(a);
  return actions;
}

/**
 * metrics (issue 13): how a metric answer may use a column. `group`: its values may appear as group
 * keys and be filtered on (a read_metrics rule names it); `aggregate`: only aggregated by a measure (an
 * aggregateOnly rule names it); `none`: not at all. Row rules (`read`) confer nothing here.
 */
export type MetricColumnUse = 'group' | 'aggregate' | 'none';

export function metricColumnUse(ability: AppAbility, ds: DatasetInfo, column: string): MetricColumnUse {
  if (ability.can(READ_METRICS, ds.subjectType, column)) return 'group';
  if (ability.can(AGGREGATE_METRICS, ds.subjectType, column)) return 'aggregate';
  return 'none';
}
