// CASL rules -> the SQL predicate of the rows they cover, following CASL's own semantics
// (rulesToQuery): rules in priority order, OR over `can` conditions, AND NOT over `cannot`
// conditions; a `cannot` without conditions ends the list; no `can` at all means no row (deny).
import type { DatasetInfo } from '../policy/load-policies';
import type { AppAbility } from '../policy/build-ability';
import type { RowConditions } from '../policy/policy-schema';
import type { Dialect } from '../state/open-state';
import { toStoreValue } from './coerce-value';
import { and, not, or, type Fragment, type Predicate } from './sql-fragment';

function conditionToSql(ds: DatasetInfo, conds: RowConditions, dialect: Dialect): Fragment {
  const parts: Predicate[] = [];
  for (const [column, spec] of Object.entries(conds)) {
    const type = ds.columns[column].type;
    const v = (x: unknown) => toStoreValue(column, type, x, dialect);
    const ops = spec !== null && typeof spec === 'object' ? spec : { $eq: spec };
    for (const [op, value] of Object.entries(ops)) {
      if (value === undefined) continue;
      if ((op === '$eq' || op === '$ne') && value === null) {
        parts.push({ sql: `?? IS ${op === '$eq' ? '' : 'NOT '}NULL`, bindings: [column] });
      } else if (op === '$in' || op === '$nin') {
        const list = value as unknown[];
        if (list.length === 0) parts.push(op === '$in' ? false : true);
        else parts.push({ sql: `?? ${op === '$nin' ? 'NOT ' : ''}IN (${list.map(() => '?').join(', ')})`, bindings: [column, ...list.map(v)] });
      } else {
        const sqlOp = { $eq: '=', $ne: '<>', $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op]!;
        parts.push({ sql: `?? ${sqlOp} ?`, bindings: [column, v(value)] });
      }
    }
  }
  const p = and(parts);
  return p === true ? { sql: '1 = 1', bindings: [] } : p === false ? { sql: '1 = 0', bindings: [] } : p;
}

/** The rows on which `action` (on `field`, when given) is allowed. */
export function rulePredicate(ability: AppAbility, action: string, ds: DatasetInfo, dialect: Dialect, field?: string): Predicate {
  const allowed: Predicate[] = [];
  const blocked: Predicate[] = [];
  for (const rule of ability.rulesFor(action, ds.subjectType, field)) {
    const conds = rule.conditions as RowConditions | undefined;
    if (!conds) {
      if (rule.inverted) break;
      return and([true, ...blocked]);
    }
    (rule.inverted ? blocked : allowed).push(rule.inverted ? not(conditionToSql(ds, conds, dialect)) : conditionToSql(ds, conds, dialect));
  }
  return and([or(allowed), ...blocked]);
}
