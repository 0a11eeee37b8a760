// The guardrails in force for one write: the dataset's own, plus those of the roles whose grants
// authorise the write. Pure. Rows per request takes the strictest limit; every quota applies.
import type { Grant } from '../grants/grant-types';
import type { DatasetInfo, Policies } from '../policy/load-policies';
import type { DatasetGuardrails } from '../policy/policy-schema';

export interface Quota {
  rows: number;
  per: number;
  /** Where it was declared: `dataset` or `role <name>`. */
  source: string;
}

export interface GuardLimits {
  maxRowsPerRequest?: { rows: number; source: string };
  quotas: Quota[];
  columns: NonNullable<DatasetGuardrails['columns']>;
  breaker?: NonNullable<DatasetGuardrails['breaker']>;
}

export function guardLimits(policies: Policies, ds: DatasetInfo, grants: readonly Grant[], grantIds: readonly string[]): GuardLimits {
  const g = ds.guardrails;
  const limits: GuardLimits = { quotas: [], columns: g?.columns ?? {}, breaker: g?.breaker };
  const consider = (rows: number | undefined, source: string) => {
    if (rows !== undefined && (!limits.maxRowsPerRequest || rows < limits.maxRowsPerRequest.rows)) limits.maxRowsPerRequest = { rows, source };
  };
  consider(g?.maxRowsPerRequest, 'dataset');
  if (g?.quota) limits.quotas.push({ ...g.quota, source: 'dataset' });
  const roles = new Set(grants.filter((x) => grantIds.includes(x.id)).map((x) => x.role));
  for (const name of [...roles].sort()) {
    const rg = policies.roles[name]?.guardrails;
    consider(rg?.maxRowsPerRequest, `role ${name}`);
    if (rg?.quota) limits.quotas.push({ ...rg.quota, source: `role ${name}` });
  }
  return limits;
}

export function isGuarded(limits: GuardLimits): boolean {
  return !!(limits.maxRowsPerRequest || limits.quotas.length || Object.keys(limits.columns).length || limits.breaker);
}
