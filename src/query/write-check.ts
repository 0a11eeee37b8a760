// The checks a write makes on each stored row it changes (upsert and PATCH), pure. Like PostgreSQL's
// WITH CHECK, a write must be allowed on the row as stored AND as it will be after the write; a row
// outside the writer's rules is refused before any of its values is compared, in words that name no
// column or value of it. And only what the writer reads in clear on a row may be compared with what
// is written: an answer that depended on a masked or denied value would be an oracle for it.
import { subject } from '@casl/ability';
import { fail } from '../errors';
import type { AppAbility } from '../policy/build-ability';
import type { DatasetInfo } from '../policy/load-policies';
import { fromStoreValue } from './coerce-value';

type Row = Record<string, unknown>;

/** A stored row (as the driver returns it) in JSON form, as CASL conditions and the guardrails see it. */
export function storedRow(ds: DatasetInfo, row: Row): Row {
  return Object.fromEntries(Object.keys(row).filter((c) => Object.hasOwn(ds.columns, c)).map((c) => [c, fromStoreValue(ds.columns[c].type, row[c])]));
}

/**
 * Refuses (403 row_denied) a write of `columns` to the stored row `before` unless the writer may update
 * them on it, and on it merged with `after` (the JSON values written). No columns: any update of the row.
 */
export function checkRowUpdate(ability: AppAbility, ds: DatasetInfo, before: Row, after: Row, columns: readonly string[], where: string): void {
  const may = (row: Row) => {
    const s = subject(ds.subjectType, { ...row });
    return columns.length ? columns.every((c) => ability.can('update', s, c)) : ability.can('update', s);
  };
  if (!may(before)) throw fail('row_denied', `${where}: you may not update this row of ${ds.key}; nothing was written`);
  if (!may({ ...before, ...after })) {
    throw fail('row_denied', `${where}: the write would move a row out of the rows you may update in ${ds.key}; nothing was written`);
  }
}

/** The stored values of `before` the writer reads in clear on that row; the others are left out. */
export function clearValues(ability: AppAbility, ds: DatasetInfo, before: Row): Row {
  const s = subject(ds.subjectType, { ...before });
  return Object.fromEntries(Object.entries(before).filter(([c]) => ability.can('read', s, c)));
}
