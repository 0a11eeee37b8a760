// CASL rules -> the SQL predicate of the rows they cover, following CASL's own semantics
// (rulesToQuery): rules in priority order, OR over `can` conditions, AND NOT over `cannot`
// conditions; a `cannot` without conditions ends the list; no `can` at all means no row (deny).
import type { DatasetInfo } from '../policy/load-policies';
import type { AppAbility } from '../policy/build-ability';
import type { ColumnType, RowConditions } from '../policy/policy-schema';
import type { Dialect } from '../state/open-state';
import { toStoreValue } from './coerce-value';
import { and, not, or, type Fragment, type Predicate } from './sql-fragment';

/** How a condition names its column and writes its values: knex placeholders here, Trino SQL text in trino/. */
export interface ConditionRendering {
  column(column: string): Fragment;
  value(column: string, type: ColumnType, value: unknown): Fragment;
}

const knexRendering = (dialect: Dialect): ConditionRendering => ({
  column: (column) => ({ sql: '??', bindings: [column] }),
  value: (column, type, value) => ({ sql: '?', bindings: [toStoreValue(column, type, value, dialect)] }),
});

function join(parts: Fragment[], sep: string): Fragment {
  return { sql: parts.map((p) => p.sql).join(sep), bindings: parts.flatMap((p) => p.bindings) };
}

/** One rule's row conditions (AND over columns and operators) as a predicate. */
export function conditionPredicate(ds: DatasetInfo, conds: RowConditions, render: ConditionRendering): Fragment {
  const parts: Predicate[] = [];
  for (const [column, spec] of Object.entries(conds)) {
    const type = ds.columns[column].type;
    const col = render.column(column);
    const v = (x: unknown) => render.value(column, type, x);
    const ops = spec !== null && typeof spec === 'object' ? spec : { $eq: spec };
    for (const [op, value] of Object.entries(ops)) {
      if (value === undefined) continue;
      if ((op === '$eq' || op === '$ne') && value === null) {
        parts.push(join([col, { sql: ` IS ${op === '$eq' ? '' : 'NOT '}NULL`, bindings: [] }], ''));
      } else if (op === '$in' || op === '$nin') {
        const list = value as unknown[];
        if (list.length === 0) parts.push(op === '$in' ? false : true);
        else parts.push(join([col, { sql: ` ${op === '$nin' ? 'NOT ' : ''}IN (`, bindings: [] }, join(list.map(v), ', '), { sql: ')', bindings: [] }], ''));
      } else {
        const sqlOp = { $eq: '=', $ne: '<>', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op]!;
        parts.push(join([col, v(value)], ` ${sqlOp} `));
      }
    }
  }
  const p = and(parts);
  return p === true ? { sql: '1 = 1', bindings: [] } : p === false ? { sql: '1 = 0', bindings: [] } : p;
}

/** The rows on which `action` (on `field`, when given) is allowed. */
export function rulePredicate(ability: AppAbility, action: string, ds: DatasetInfo, dialect: Dialect, field?: string): Predicate {
  return rulesPredicate(ability, action, ds, knexRendering(dialect), field);
}

/** The same rows, each rule's conditions written by `render` (Trino's SQL: trino/trino-sql.ts). */
export function rulesPredicate(ability: AppAbility, action: string, ds: DatasetInfo, render: ConditionRendering, field?: string): Predicate {
  const allowed: Predicate[] = [];
  const blocked: Predicate[] = [];
  for (const rule of ability.rulesFor(action, ds.subjectType, field)) {
    const conds = rule.conditions as RowConditions | undefined;
    if (!conds) {
      if (rule.inverted) break;
      return and([true, ...blocked]);
    }
    const p = conditionPredicate(ds, conds, render);
    (rule.inverted ? blocked : allowed).push(rule.inverted ? not(p) : p);
  }
  return and([or(allowed), ...blocked]);
}
