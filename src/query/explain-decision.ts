// What the gateway would decide for a subject's request, and why: the decision, the error a real
// request would get, the grants and policy rules that decide it, and per column shown / masked /
// denied. Pure, and built on the request path's own decision code (planRead, requireAction,
// columnVisibility), so explain can never disagree with what a real request gets.
import { GatewayError } from '../errors';
import type { Grant } from '../grants/grant-types';
import type { Suspension } from '../grants/revocation-store';
import { AGGREGATE_METRICS, READ_MASKED, READ_METRICS, type AppAbility, type TaggedRule } from '../policy/build-ability';
import { columnVisibility, metricColumnUse } from '../policy/decide-columns';
import { authorizeMetrics, minGroupSizeFor } from '../metrics/plan-metrics';
import type { DatasetInfo, Policies } from '../policy/load-policies';
import { lookup } from '../policy/lookup-table';
import type { DataAction, MetricAction } from '../policy/policy-schema';
import type { Dialect } from '../state/open-state';
import { planRead } from './plan-read';
import { requireAction } from './plan-write';

/** Reads: shown (in clear), masked or denied; writes: allowed or denied; read_metrics: shown (may be grouped and filtered by), aggregated (only), denied. */
export type ColumnDecision = 'shown' | 'masked' | 'denied' | 'allowed' | 'aggregated';

export interface ExplainedRule {
  grantId: string;
  role: string;
  /** Index of the rule in the role's rules (inherited rules follow the role's own). */
  rule: number | null;
  actions: string[];
  classifications?: string[];
  columns?: string[];
  rows?: unknown;
  mask?: boolean;
  inverted: boolean;
}

export interface Explanation {
  decision: 'allow' | 'deny';
  /** The problem code a real request would get, when denied. */
  code?: string;
  detail: string;
  missing?: string;
  grants: Pick<Grant, 'id' | 'role' | 'domain' | 'expiresAt'>[];
  columns: { name: string; classification: string; decision: ColumnDecision; rule: ExplainedRule | null }[];
  /** read_metrics: the smallest group a metric answer over the dataset shows (null: no minimum). */
  minGroupSize?: number | null;
  /** Shown to admins only (see withSuspension). */
  suspension?: { since: string; reason: string; createdBy: string };
}

function explainRule(policies: Policies, ability: AppAbility, action: string, ds: DatasetInfo, column: string): ExplainedRule | null {
  const r = ability.relevantRuleFor(action, ds.subjectType, column);
  if (!r) return null;
  const origin = r.origin as TaggedRule;
  const def = origin.ruleIndex !== undefined ? lookup(policies.roles, origin.role)?.allRules[origin.ruleIndex] : undefined;
  return {
    grantId: origin.grantId,
    role: origin.role,
    rule: origin.ruleIndex ?? null,
    actions: def?.actions ?? [String(origin.action)],
    classifications: def?.classifications,
    columns: def?.columns,
    rows: def?.rows,
    mask: def?.mask,
    inverted: !!r.inverted,
  };
}

/** A denied column: the `cannot` rule that removes it, if one does (null when no rule grants it at all). */
function deniedBy(policies: Policies, ability: AppAbility, action: string, ds: DatasetInfo, column: string): ExplainedRule | null {
  const r = explainRule(policies, ability, action, ds, column);
  return r?.inverted ? r : null;
}

/** Runs the request path's decision for `action` on `ds` (optionally naming columns) for `ability`. */
export function explainDecision(
  policies: Policies,
  grants: readonly Grant[],
  ability: AppAbility,
  ds: DatasetInfo,
  action: DataAction | MetricAction,
  columns: string[] | undefined,
  dialect: Dialect,
): Explanation {
  if (action === 'read_metrics') return explainMetrics(policies, grants, ability, ds, columns);
  let grantIds: string[] = [];
  const verdict = verdictOf(`${action} on ${ds.key} is allowed`, () => {
    if (action === 'read') {
      grantIds = planRead(ability, ds, { select: columns, filters: [], order: [], limit: 1, offset: 0 }, dialect).grantIds;
      return;
    }
    requireAction(ability, ds, action);
    for (const c of columns ?? []) {
      if (!ability.can(action, ds.subjectType, c)) throw new GatewayError('column_denied', `you may not write column ${c} of ${ds.key}`, { column: c });
    }
    const rel = (columns ?? ds.columnNames).flatMap((c) => ability.rulesFor(action, ds.subjectType, c).filter((r) => !r.inverted));
    grantIds = [...new Set(rel.map((r) => (r.origin as TaggedRule).grantId))];
  });

  const perColumn = (columns ?? ds.columnNames).map((name) => {
    const classification = lookup(ds.columns, name)!.classification;
    if (action === 'read') {
      const v = columnVisibility(ability, ds, name);
      const d: ColumnDecision = v === 'clear' ? 'shown' : v;
      const rule = v === 'clear' ? explainRule(policies, ability, 'read', ds, name) : v === 'masked' ? explainRule(policies, ability, READ_MASKED, ds, name) : deniedBy(policies, ability, 'read', ds, name);
      return { name, classification, decision: d, rule };
    }
    const ok = ability.can(action, ds.subjectType, name);
    return { name, classification, decision: (ok ? 'allowed' : 'denied') as ColumnDecision, rule: ok ? explainRule(policies, ability, action, ds, name) : deniedBy(policies, ability, action, ds, name) };
  });

  return explanation(verdict, grants, grantIds, perColumn);
}

/**
 * read_metrics: the planner's own dataset decision (authorizeMetrics) and column decisions
 * (metricColumnUse): a column is `shown` (may be grouped and filtered by, and aggregated), `aggregated`
 * (may only be aggregated by a measure) or `denied`; with the minGroupSize that applies.
 */
function explainMetrics(policies: Policies, grants: readonly Grant[], ability: AppAbility, ds: DatasetInfo, columns: string[] | undefined): Explanation {
  const verdict = verdictOf(`read_metrics on ${ds.key} is allowed`, () => {
    authorizeMetrics(ability, ds);
    for (const c of columns ?? []) {
      if (metricColumnUse(ability, ds, c) === 'none') throw new GatewayError('column_denied', `you may not use column ${c} of ${ds.key} in metrics`, { column: c, missing: `read_metrics ${ds.key}.${c}` });
    }
  });
  const perColumn = (columns ?? ds.columnNames).map((name) => {
    const use = metricColumnUse(ability, ds, name);
    const rule = use === 'group' ? explainRule(policies, ability, READ_METRICS, ds, name) : use === 'aggregate' ? explainRule(policies, ability, AGGREGATE_METRICS, ds, name) : deniedBy(policies, ability, READ_METRICS, ds, name);
    return { name, classification: lookup(ds.columns, name)!.classification, decision: ({ group: 'shown', aggregate: 'aggregated', none: 'denied' } as const)[use], rule };
  });
  const ids = new Set<string>();
  if (verdict.decision === 'allow') {
    for (const c of columns ?? ds.columnNames) for (const a of [READ_METRICS, AGGREGATE_METRICS]) for (const r of ability.rulesFor(a, ds.subjectType, c)) if (!r.inverted) ids.add((r.origin as TaggedRule).grantId);
  }
  return { ...explanation(verdict, grants, ids, perColumn), minGroupSize: verdict.decision === 'allow' ? minGroupSizeFor(ability, ds) : null };
}

interface Verdict {
  decision: Explanation['decision'];
  code?: string;
  detail: string;
  missing?: string;
}

/** The planner's own checks, run: allowed unless one refuses, and then its refusal as the answer says it. */
function verdictOf(allowed: string, check: () => void): Verdict {
  try {
    check();
    return { decision: 'allow', detail: allowed };
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    return { decision: 'deny', code: e.code, detail: e.message, missing: e.extra.missing as string | undefined };
  }
}

function explanation(v: Verdict, grants: readonly Grant[], grantIds: Iterable<string>, columns: Explanation['columns']): Explanation {
  const byId = new Map(grants.map((g) => [g.id, g]));
  return {
    decision: v.decision,
    ...(v.code && { code: v.code }),
    detail: v.detail,
    ...(v.missing && { missing: v.missing }),
    grants: [...grantIds].filter((id) => byId.has(id)).map((id) => {
      const g = byId.get(id)!;
      return { id: g.id, role: g.role, domain: g.domain, expiresAt: g.expiresAt };
    }),
    columns,
  };
}

/**
 * What a viewer learns of a suspension (authentication comes first on the real path, so a suspended
 * subject is refused before any policy applies): `full` (an admin, the operator) sees since, reason and
 * who suspended; `refused` (a domain's steward, when the subject has access there) learns only that its
 * requests are refused; `hidden` (the subject has no access in the steward's domain) learns nothing.
 */
export type SuspensionView = 'full' | 'refused' | 'hidden';

export function withSuspension(ex: Explanation, subject: string, suspended: Suspension | undefined, view: SuspensionView): Explanation {
  if (!suspended || view === 'hidden') return ex;
  if (view === 'refused') return { ...ex, decision: 'deny', code: 'subject_suspended', detail: `subject ${subject} is suspended: its requests are refused` };
  return {
    ...ex,
    decision: 'deny',
    code: 'subject_suspended',
    detail: `subject ${subject} is suspended since ${suspended.createdAt}: ${suspended.reason}`,
    suspension: { since: suspended.createdAt, reason: suspended.reason, createdBy: suspended.createdBy },
  };
}
