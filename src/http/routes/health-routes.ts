// GET /healthz: no auth; says whether the state store answers, nothing about the data.
import { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';

export function healthRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get('/healthz', async (_req, res) => {
    try {
      await deps.state.knex.raw('select 1');
    } catch {
      throw fail('store_unavailable', 'the gateway state store does not answer');
    }
    res.json({ status: 'ok', policyVersion: deps.policies.version });
  });
  return r;
}
