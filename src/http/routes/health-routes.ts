// GET /healthz: no auth; says whether the state store answers, nothing about the data.
import { Router } from 'express';
import type { AppDeps } from '../../app-deps';

export function healthRoutes(deps: AppDeps): Router {
  const r = Router();
  r.get('/healthz', async (_req, res) => {
    try {
      await deps.state.knex.raw('select 1');
      res.json({ status: 'ok', policyVersion: deps.policies.version });
    } catch {
      res.status(503).type('application/problem+json').json({ title: 'State store unavailable', status: 503, code: 'store_unavailable' });
    }
  });
  return r;
}
