// The ability of a shared table: compiled from the share's definition, not from anyone's grants, so
// a recipient's read goes through the same planner and executor as every other read (plan-read.ts,
// execute-read.ts). The shared columns are read on the filtered rows, pii columns masked unless the
// share clears them; a confidential column is never granted, whatever the stored definition says.
import { createMongoAbility } from '@casl/ability';
import { READ_MASKED, type AppAbility, type TaggedRule } from '../policy/build-ability';
import type { DatasetInfo } from '../policy/load-policies';
import { rowConditions } from './share-definition';
import { shareResource, type Share, type ShareTable } from './share-types';

export function shareTableAbility(share: Share, table: ShareTable, ds: DatasetInfo): AppAbility {
  const conditions = rowConditions(ds, table.rows);
  const shared = table.columns.filter((c) => ds.columns[c] && ds.columns[c].classification !== 'confidential');
  const clear = shared.filter((c) => ds.columns[c].classification !== 'pii' || table.clear.includes(c));
  const masked = shared.filter((c) => !clear.includes(c));
  const rule = (action: string, fields: string[]): TaggedRule[] =>
    fields.length ? [{ action, subject: ds.subjectType, fields, conditions, grantId: shareResource(share.name), role: 'share' }] : [];
  return createMongoAbility<AppAbility>([...rule('read', clear), ...rule(READ_MASKED, masked)]);
}
