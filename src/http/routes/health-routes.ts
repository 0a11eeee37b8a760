// GET /healthz: no auth; says whether the state store answers, nothing about the data.
import type { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { router } from '../router';
import { ctx } from '../request-context';

export function healthRoutes(deps: AppDeps): Router {
  const r = router();
  r.get('/healthz', async (_req, res) => {
    ctx(res).public = true;
    try {
      await deps.state.knex.raw('select 1');
    } catch {
      throw fail('store_unavailable', 'the gateway state store does not answer');
    }
    res.json({ status: 'ok', policyVersion: deps.policies.version });
  });
  return r;
}
