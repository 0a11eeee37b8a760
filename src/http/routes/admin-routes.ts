// POST /v1/admin/policies/reload: reloads the policy files on this replica without a restart (admins:
// the `reload_policies` action). The files are validated first; a bad file keeps the policies in force
// and answers 422 invalid_policies saying why. Each replica reloads its own copy: send it to each (or
// SIGHUP them), and /readyz tells the version each one runs.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { authorize } from '../../policy/authorize';
import { POLICY_SUBJECT } from '../../policy/build-ability';
import { recordOutcome } from '../audit-request';
import { onlyParams } from '../only-params';
import { ctx } from '../request-context';
import { router } from '../router';

export function adminRoutes(deps: AppDeps): Router {
  const r = router();

  r.post('/v1/admin/policies/reload', async (req, res) => {
    const c = ctx(res);
    c.action = 'reload_policies';
    c.resource = 'policies';
    const grantIds = authorize(c.access!.ability, 'reload_policies', POLICY_SUBJECT);
    onlyParams(req, z.strictObject({}));
    const reloaded = await deps.policyHolder.reload();
    await recordOutcome(deps, req, res, {
      decision: 'allow',
      reason: reloaded.changed ? 'policies reloaded' : 'policies unchanged',
      status: 200,
      grantIds,
      details: { ...reloaded },
    });
    res.json(reloaded);
  });

  return r;
}
