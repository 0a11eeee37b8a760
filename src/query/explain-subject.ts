// Explain as a use case, once for GET /v1/explain and `meshguard explain`: authorises the viewer (an
// admin or the domain's steward; the operator), resolves the dataset and columns (unknown names are a
// 404/400, looked up as own keys only), runs the request path's own decision for the subject
// (explain-decision.ts) and tells the viewer only what concerns it (a steward never sees another
// domain's reasons for a suspension).
import type { AccessResolver } from '../grants/access-resolver';
import { actorMay, type Actor } from '../grants/use-case';
import { fail } from '../errors';
import { authorizeOversight, mayManageEverything } from '../policy/grant-decisions';
import type { Policies } from '../policy/load-policies';
import { lookup } from '../policy/lookup-table';
import type { DataAction, MetricAction } from '../policy/policy-schema';
import type { StoreRegistry } from '../stores/store-registry';
import { explainDecision, withSuspension, type Explanation, type SuspensionView } from './explain-decision';

export interface ExplainInput {
  subject: string;
  action: DataAction | MetricAction;
  domain: string;
  dataset: string;
  columns?: string[];
}

export interface Explained {
  body: Omit<ExplainInput, 'columns'> & Explanation;
  /** For the audit entry of the explain request. */
  audit: { resource: string; reason: string; details: Record<string, unknown>; grantIds: string[] };
}

const echo = (name: string) => (name.length <= 64 ? name : '(a name too long to be one)');

export async function explainFor(deps: { policies: Policies; access: AccessResolver; stores: StoreRegistry }, actor: Actor, q: ExplainInput): Promise<Explained> {
  const grantIds = actorMay(actor, (ability) => authorizeOversight(ability, deps.policies, q.domain));
  const ds = deps.policies.datasets.get(`${q.domain}.${q.dataset}`);
  if (!ds || ds.domain !== q.domain) throw fail('dataset_not_found', `no dataset ${echo(q.domain)}.${echo(q.dataset)}`);
  for (const col of q.columns ?? []) if (!lookup(ds.columns, col)) throw fail('unknown_column', `${ds.key} has no column ${echo(col)}`, { column: echo(col) });

  const target = await deps.access.forSubject(q.subject);
  const explained = explainDecision(deps.policies, target.grants, target.ability, ds, q.action, q.columns, deps.stores.get(ds.store)!.dialect);
  const seesAll = actor.kind === 'operator' || mayManageEverything(actor.ability, deps.policies);
  const concernsDomain = target.grants.some((g) => g.domain === ds.domain) || explained.grants.length > 0;
  const view: SuspensionView = seesAll ? 'full' : concernsDomain ? 'refused' : 'hidden';
  const out = withSuspension(explained, q.subject, target.suspended, view);
  return {
    body: { subject: q.subject, action: q.action, domain: q.domain, dataset: q.dataset, ...out },
    audit: { resource: ds.key, reason: `explain ${q.action} ${ds.key} for ${q.subject}`, details: { subject: q.subject, decision: out.decision }, grantIds },
  };
}
