// The export row limit in force for one bulk read: the strictest `exportRowLimit` among the roles
// whose grants authorise it (as guardrails take the strictest rows-per-request). Pure. Undefined
// when none of those roles declares one.
import type { Grant } from '../grants/grant-types';
import { lookup } from './lookup-table';
import type { Policies } from './load-policies';

export function exportRowLimit(policies: Policies, grants: readonly Grant[], grantIds: readonly string[]): { rows: number; source: string } | undefined {
  let limit: { rows: number; source: string } | undefined;
  const roles = new Set(grants.filter((g) => grantIds.includes(g.id)).map((g) => g.role));
  for (const name of [...roles].sort()) {
    const rows = lookup(policies.roles, name)?.exportRowLimit;
    if (rows !== undefined && (!limit || rows < limit.rows)) limit = { rows, source: `role ${name}` };
  }
  return limit;
}
