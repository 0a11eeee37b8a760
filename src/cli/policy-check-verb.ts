// `meshguard policy-check [--dir <policies>]`: validates the policy files (exit 1 with the error if they
// are invalid) and prints each role's effective permissions per classification, computed with the
// gateway's own ability builder over the catalog (a grant of the role on every domain).
import { parseArgs } from 'node:util';
import path from 'node:path';
import type { Grant } from '../grants/grant-types';
import { AGGREGATE_METRICS, READ_MASKED, READ_METRICS, buildAbility } from '../policy/build-ability';
import { loadPolicies, type Policies } from '../policy/load-policies';
import { CLASSIFICATIONS } from '../policy/policy-schema';
import type { CliVerb } from './cli-verb';

function probeGrant(role: string): Grant {
  const t = new Date(0).toISOString();
  return { id: `probe:${role}`, subject: 'policy-check', role, domain: '*', reason: 'policy-check', createdBy: 'policy-check', createdAt: t, expiresAt: null, revokedAt: null, revokedBy: null, revokeReason: null, lastUsedAt: null, lastWriteAt: null };
}

/** One line per classification: which actions the role has on how many of the catalog's columns of it. */
export function effectivePermissions(policies: Policies, role: string): string[] {
  const ability = buildAbility(policies, [probeGrant(role)]);
  const lines: string[] = [];
  for (const cls of CLASSIFICATIONS) {
    const cols = [...policies.datasets.values()].flatMap((ds) => ds.columnNames.filter((c) => ds.columns[c].classification === cls).map((c) => ({ ds, c })));
    if (cols.length === 0) {
      lines.push(`${cls.padEnd(13)} (no column of this classification in the catalog)`);
      continue;
    }
    const parts: string[] = [];
    for (const [label, action] of [
      ['read', 'read'],
      ['read masked', READ_MASKED],
      ['insert', 'insert'],
      ['update', 'update'],
      ['metrics', READ_METRICS],
      ['metrics (aggregate only)', AGGREGATE_METRICS],
    ] as const) {
      const allowed = cols.filter(({ ds, c }) => ability.can(action, ds.subjectType, c));
      if (allowed.length === 0) continue;
      const conditional = allowed.some(({ ds, c }) => ability.rulesFor(action, ds.subjectType, c).some((r) => !r.inverted && r.conditions));
      parts.push(`${label}${allowed.length < cols.length ? ` (${allowed.length}/${cols.length} columns)` : ''}${conditional ? ' (some rows only)' : ''}`);
    }
    lines.push(`${cls.padEnd(13)} ${parts.length ? parts.join(', ') : 'denied'}`);
  }
  const dataActions = ['read', 'insert', 'update', 'read_metrics'];
  const control = policies.roles[role].allRules.filter((r) => !r.inverted && r.actions.some((a) => !dataActions.includes(a)));
  for (const r of control) {
    const acts = r.actions.filter((a) => !dataActions.includes(a));
    lines.push(`${'control'.padEnd(13)} ${acts.join(', ')}${r.roles ? ` on roles ${r.roles === '*' ? 'all' : r.roles.join(', ')}` : ''}`);
  }
  return lines;
}

export const policyCheckVerb: CliVerb = {
  usage: 'policy-check [--dir <policies dir>]   validate the policy files and print each role\'s effective permissions',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { dir: { type: 'string' } } });
    const dir = v.dir ? path.resolve(v.dir) : config.policiesDir;
    let policies: Policies;
    try {
      policies = loadPolicies(dir);
    } catch (e) {
      process.stderr.write(`meshguard: policies in ${dir} are invalid: ${(e as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`policies in ${dir} are valid (version ${policies.version})\n`);
    for (const [name, role] of Object.entries(policies.roles)) {
      process.stdout.write(`\nrole ${name}: ${role.scope} scope, grants last at most ${role.maxGrantDays} days${role.inherits?.length ? `, inherits ${role.inherits.join(', ')}` : ''}\n`);
      for (const line of effectivePermissions(policies, name)) process.stdout.write(`  ${line}\n`);
    }
    return 0;
  },
};
