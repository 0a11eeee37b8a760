// GET /healthz: no auth; says whether the state store answers, and which datasets were found broken
// at start-up (a missing table or column), nothing about the data. A broken dataset leaves the others
// served: the answer stays 200 with status "degraded", so a load balancer keeps the gateway in.
import type { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { router } from '../router';
import { ctx } from '../request-context';

export function healthRoutes(deps: AppDeps): Router {
  const r = router();
  const broken = Object.fromEntries([...deps.datasetProblems].map(([dataset, { problem }]) => [dataset, problem]));
  const status = Object.keys(broken).length ? { status: 'degraded', datasets: broken } : { status: 'ok' };
  r.get('/healthz', async (_req, res) => {
    ctx(res).public = true;
    try {
      await deps.state.knex.raw('select 1');
    } catch (e) {
      throw fail('store_unavailable', 'the gateway state store does not answer', {}, e);
    }
    res.json({ ...status, policyVersion: deps.policies.version });
  });
  return r;
}
