// GET /healthz and GET /readyz: no auth, not audited as decisions, nothing about the data.
// /healthz is liveness: the state store answers, and which datasets were found broken when the
// policies in force were loaded (a missing table or column). A broken dataset leaves the others
// served: the answer stays 200 with status "degraded", so a load balancer keeps the gateway in.
// /readyz is readiness (replicas, issue 16): 200 only when the policies are loaded, the state store
// answers and the audit log is writable, and the gateway is not draining for a shutdown; otherwise
// 503 not_ready with every reason. Both tell the policy version this replica runs.
import type { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { router } from '../router';
import { ctx } from '../request-context';

/** Why this replica should not take traffic now; empty when it should. */
async function notReadyBecause(deps: AppDeps): Promise<string[]> {
  const reasons: string[] = [];
  if (deps.lifecycle.draining) reasons.push('draining: the gateway is shutting down');
  if (deps.policies.datasets.size === 0) reasons.push('policies: no dataset is loaded');
  try {
    await deps.state.knex.raw('select 1');
  } catch {
    reasons.push('state: the state store does not answer');
    return reasons; // the audit log lives there too
  }
  try {
    await deps.audit.probeWritable();
  } catch (e) {
    reasons.push(`audit: the audit log is not writable (${(e as Error).message.slice(0, 200)})`);
  }
  return reasons;
}

export function healthRoutes(deps: AppDeps): Router {
  const r = router();
  r.get('/healthz', async (_req, res) => {
    ctx(res).public = true;
    try {
      await deps.state.knex.raw('select 1');
    } catch (e) {
      throw fail('store_unavailable', 'the gateway state store does not answer', {}, e);
    }
    const broken = Object.fromEntries([...deps.datasetProblems].map(([dataset, { problem }]) => [dataset, problem]));
    const status = Object.keys(broken).length ? { status: 'degraded', datasets: broken } : { status: 'ok' };
    res.json({ ...status, policyVersion: deps.policies.version });
  });
  r.get('/readyz', async (_req, res) => {
    ctx(res).public = true;
    const policyVersion = deps.policies.version;
    const reasons = await notReadyBecause(deps);
    if (reasons.length) throw fail('not_ready', `not ready: ${reasons.join('; ')}`, { reasons, policyVersion });
    const changeFeed = deps.feed ? (deps.feed.listening ? 'listening' : 'reconnecting') : 'off';
    res.json({ status: 'ready', policyVersion, state: deps.state.dialect, changeFeed });
  });
  return r;
}
