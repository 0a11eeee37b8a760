// Active grants + role policies -> one CASL ability for a subject. Deny by default: only what a
// rule of a granted role allows is allowed; grants combine with OR, `cannot` rules remove access.
import { createMongoAbility, type MongoAbility, type RawRuleOf } from '@casl/ability';
import type { Grant } from '../grants/grant-types';
import type { Policies } from './load-policies';
import { DATA_ACTIONS, type RuleDef } from './policy-schema';

export type AppAbility = MongoAbility<[string, string | object]>;

/** Raw CASL rule with the grant and role that produced it, so decisions can name their reason. */
export type TaggedRule = RawRuleOf<AppAbility> & {
  grantId: string;
  role: string;
  /** index in the role's allRules (explain) */
  ruleIndex?: number;
  /** read_metrics rules (issue 13): the smallest group a metric answer may show. */
  minGroupSize?: number;
};

export const GRANT_SUBJECT = 'Grant';
export const AUDIT_SUBJECT = 'Audit';
/** replicas (issue 16): the policy files themselves, which `reload_policies` reloads. */
export const POLICY_SUBJECT = 'Policies';
/** guardrails (issue 5): conditions on `domain`, so a steward sees and resumes only their domain. */
export const GUARDRAIL_SUBJECT = 'Guardrail';
/** sharing (issue 15): conditions on `domain`, so a steward manages the shares of their domain only. */
export const SHARE_SUBJECT = 'Share';
/** Masked reads are a separate CASL action, so a column can be readable in clear, masked, or not at all. */
export const READ_MASKED = 'read_masked';
/**
 * metrics (issue 13): `read_metrics` lets a column's values appear in metric answers (as a group key or a
 * filter) and be aggregated; an `aggregateOnly` rule compiles to this action instead: aggregated only.
 */
export const READ_METRICS = 'read_metrics';
export const AGGREGATE_METRICS = 'read_metrics_aggregate';
const ROW_ACTIONS: readonly string[] = [...DATA_ACTIONS, READ_METRICS];

function dataRules(policies: Policies, grant: Grant, rule: RuleDef, ruleIndex: number): TaggedRule[] {
  const actions = rule.actions.filter((a) => ROW_ACTIONS.includes(a));
  if (actions.length === 0) return [];
  const out: TaggedRule[] = [];
  for (const ds of policies.datasets.values()) {
    if (grant.domain !== '*' && ds.domain !== grant.domain) continue;
    if (rule.datasets && !rule.datasets.includes(ds.name)) continue;
    const fields = ds.columnNames.filter((c) =>
      rule.columns ? rule.columns.includes(c) : !rule.classifications || rule.classifications.includes(ds.columns[c].classification),
    );
    if (fields.length === 0) continue;
    for (const action of actions) {
      out.push({
        action: rule.mask && action === 'read' ? READ_MASKED : rule.aggregateOnly && action === READ_METRICS ? AGGREGATE_METRICS : action,
        subject: ds.subjectType,
        fields,
        conditions: rule.rows,
        inverted: rule.inverted ?? false,
        reason: rule.reason,
        grantId: grant.id,
        role: grant.role,
        ruleIndex,
        ...(action === READ_METRICS && rule.minGroupSize !== undefined && { minGroupSize: rule.minGroupSize }),
      });
    }
  }
  return out;
}

function controlRules(grant: Grant, rule: RuleDef): TaggedRule[] {
  const out: TaggedRule[] = [];
  for (const action of rule.actions) {
    if (action === 'grant' || action === 'revoke' || action === 'list_grants') {
      const conditions: Record<string, unknown> = {};
      if (grant.domain !== '*') conditions.domain = grant.domain;
      if (rule.roles && rule.roles !== '*') conditions.role = { $in: rule.roles };
      out.push({
        action,
        subject: GRANT_SUBJECT,
        conditions: Object.keys(conditions).length ? conditions : undefined,
        inverted: rule.inverted ?? false,
        grantId: grant.id,
        role: grant.role,
      });
    } else if (action === 'view_guardrails' || action === 'resume_writer') {
      out.push({ action, subject: GUARDRAIL_SUBJECT, conditions: grant.domain !== '*' ? { domain: grant.domain } : undefined, inverted: rule.inverted ?? false, grantId: grant.id, role: grant.role });
    } else if (action === 'manage_shares') {
      out.push({ action, subject: SHARE_SUBJECT, conditions: grant.domain !== '*' ? { domain: grant.domain } : undefined, inverted: rule.inverted ?? false, grantId: grant.id, role: grant.role });
    } else if (action === 'read_audit') {
      out.push({ action, subject: AUDIT_SUBJECT, inverted: rule.inverted ?? false, grantId: grant.id, role: grant.role });
    } else if (action === 'reload_policies') {
      out.push({ action, subject: POLICY_SUBJECT, inverted: rule.inverted ?? false, grantId: grant.id, role: grant.role });
    }
  }
  return out;
}

export function buildAbility(policies: Policies, grants: readonly Grant[]): AppAbility {
  const rules: TaggedRule[] = [];
  for (const grant of grants) {
    const role = policies.roles[grant.role];
    if (!role) continue; // a grant of a role no longer in the policies grants nothing
    role.allRules.forEach((rule, i) => rules.push(...dataRules(policies, grant, rule, i), ...controlRules(grant, rule)));
  }
  // CASL gives later rules priority: `cannot` rules go last so they always win over `can`.
  rules.sort((a, b) => Number(a.inverted ?? false) - Number(b.inverted ?? false));
  return createMongoAbility<AppAbility>(rules);
}

/** The grant that produced a CASL rule, read back from the rule's origin. */
export function grantOfRule(rule: { origin: unknown } | null | undefined): string | undefined {
  return (rule?.origin as TaggedRule | undefined)?.grantId;
}
