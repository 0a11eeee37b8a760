// GET /v1/explain?subject=&action=&domain=&dataset=&columns=: the decision the gateway would take for
// that subject now, with the grants and rules behind it; a thin adapter over query/explain-subject.ts
// (shared with the CLI). Admins for any domain, stewards for their own.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { MAX_SUBJECT } from '../../grants/use-case';
import { DATA_ACTIONS, METRIC_ACTIONS } from '../../policy/policy-schema';
import { explainFor } from '../../query/explain-subject';
import { recordOutcome } from '../audit-request';
import { actorOf } from '../change-with-audit';
import { onlyParams } from '../only-params';
import { ctx } from '../request-context';
import { router } from '../router';

export const ExplainQuery = z.strictObject({
  subject: z.string().min(1).max(MAX_SUBJECT),
  action: z.enum([...DATA_ACTIONS, ...METRIC_ACTIONS]),
  domain: z.string().min(1).max(64),
  dataset: z.string().min(1).max(64),
  columns: z.string().min(1).max(4096).optional(),
});

export function explainRoutes(deps: AppDeps): Router {
  const r = router();

  r.get('/v1/explain', async (req, res) => {
    const c = ctx(res);
    c.action = 'explain';
    const q = onlyParams(req, ExplainQuery);
    c.resource = `${q.domain}.${q.dataset}`;
    const columns = q.columns?.split(',').map((s) => s.trim());
    const { body, audit } = await explainFor(deps, actorOf(res), { ...q, columns });
    await recordOutcome(deps, req, res, { decision: 'allow', status: 200, ...audit });
    res.json({ ...body, asOf: deps.clock.now().toISOString() });
  });

  return r;
}
