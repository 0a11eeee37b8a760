// GET /v1/explain?subject=&action=&domain=&dataset=&columns=: the decision the gateway would take for
// that subject now, through the request path's own decision code (query/explain-decision.ts), with
// the grants and rules behind it. Admins for any domain, stewards for their own.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { mayOverseeDomain } from '../../policy/grant-decisions';
import { DATA_ACTIONS } from '../../policy/policy-schema';
import { explainDecision, withSuspension } from '../../query/explain-decision';
import { recordOutcome } from '../audit-request';
import { onlyParams } from '../only-params';
import { ctx } from '../request-context';
import { router } from '../router';

const ExplainQuery = z.strictObject({
  subject: z.string().min(1).max(255),
  action: z.enum(DATA_ACTIONS),
  domain: z.string().min(1).max(64),
  dataset: z.string().min(1).max(64),
  columns: z.string().min(1).optional(),
});

export function explainRoutes(deps: AppDeps): Router {
  const r = router();

  r.get('/v1/explain', async (req, res) => {
    const c = ctx(res);
    c.action = 'explain';
    const q = onlyParams(req, ExplainQuery);
    c.resource = `${q.domain}.${q.dataset}`;
    if (!mayOverseeDomain(c.access!.ability, deps.policies, q.domain)) {
      throw fail('forbidden', `you may not explain decisions on ${q.domain}`, { missing: `revoke grants on ${q.domain} (admin, or the domain's steward)` });
    }
    const ds = deps.policies.datasets.get(`${q.domain}.${q.dataset}`);
    if (!ds) throw fail('dataset_not_found', `no dataset ${q.domain}.${q.dataset}`);
    const columns = q.columns?.split(',').map((s) => s.trim());
    for (const col of columns ?? []) if (!ds.columns[col]) throw fail('unknown_column', `${ds.key} has no column ${col}`, { column: col });

    const target = await deps.access.forSubject(q.subject);
    const explained = explainDecision(deps.policies, target.grants, target.ability, ds, q.action, columns, deps.stores.get(ds.store)!.dialect);
    const out = withSuspension(explained, q.subject, target.suspended);
    await recordOutcome(deps, req, res, { decision: 'allow', reason: `explain ${q.action} ${ds.key} for ${q.subject}`, status: 200, details: { subject: q.subject, decision: out.decision } });
    res.json({ subject: q.subject, action: q.action, domain: q.domain, dataset: q.dataset, asOf: deps.clock.now().toISOString(), ...out });
  });

  return r;
}
