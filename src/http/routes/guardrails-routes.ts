// GET /v1/guardrails and POST /v1/guardrails/pauses/:id/resume (issue 5): guarded datasets with
// their limits, current usage and active pauses; resuming a writer the anomaly breaker paused.
// Who may see and resume is decided by the policy layer (authorize: view_guardrails / resume_writer per domain).
import { subject as asSubject } from '@casl/ability';
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { GatewayError, fail } from '../../errors';
import { MAX_REASON, requireReason } from '../../grants/use-case';
import { isUuid } from '../../is-uuid';
import { GUARDRAIL_SUBJECT } from '../../policy/build-ability';
import { authorize } from '../../policy/authorize';
import type { DatasetGuardrails, RoleGuardrails } from '../../policy/policy-schema';
import { auditEntry, recordOutcome } from '../audit-request';
import { onlyParams } from '../only-params';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { router } from '../router';

export const ResumeBody = z.strictObject({ reason: z.string().max(MAX_REASON).optional() });

const seconds = (ms: number) => ms / 1000;

function describeLimits(g: DatasetGuardrails | RoleGuardrails) {
  const d = g as DatasetGuardrails;
  return {
    maxRowsPerRequest: g.maxRowsPerRequest,
    quota: g.quota && { rows: g.quota.rows, perSeconds: seconds(g.quota.per) },
    columns: d.columns,
    breaker: d.breaker && { windowSeconds: seconds(d.breaker.window), factor: d.breaker.factor, minRows: d.breaker.minRows, baselineTtlSeconds: seconds(d.breaker.baselineTtl) },
  };
}

export function guardrailsRoutes(deps: AppDeps): Router {
  const r = router();

  r.get('/v1/guardrails', async (req, res) => {
    const c = ctx(res);
    c.action = 'view_guardrails';
    onlyParams(req, z.strictObject({}));
    const ability = c.access!.ability;
    const grantIds = authorize(ability, 'view_guardrails', GUARDRAIL_SUBJECT);
    const domains = deps.policies.domains.filter((domain) => ability.can('view_guardrails', asSubject(GUARDRAIL_SUBJECT, { domain })));
    const now = deps.clock.now().getTime();
    const pauses = await deps.guard.store.pauses({ domains, active: true });
    const datasets = [];
    for (const ds of deps.policies.datasets.values()) {
      if (!ds.guardrails || !domains.includes(ds.domain)) continue;
      const window = ds.guardrails.quota?.per ?? ds.guardrails.breaker?.window ?? 3_600_000;
      const bySubject = await deps.guard.store.usageBySubject(ds.key, now - window);
      datasets.push({
        domain: ds.domain,
        dataset: ds.name,
        limits: describeLimits(ds.guardrails),
        usage: { windowSeconds: seconds(window), rows: Object.values(bySubject).reduce((a, b) => a + b, 0), bySubject },
        pauses: pauses.filter((p) => p.dataset === ds.key),
      });
    }
    const roles = Object.fromEntries(Object.values(deps.policies.roles).filter((role) => role.guardrails).map((role) => [role.name, describeLimits(role.guardrails!)]));
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'guarded datasets of the caller\'s domains', status: 200, rowCount: datasets.length, grantIds });
    res.json({ datasets, roles });
  });

  r.post('/v1/guardrails/pauses/:id/resume', async (req, res) => {
    const c = ctx(res);
    c.action = 'resume_writer';
    // Pause ids are UUIDs: any other path segment names no pause and is neither looked up nor echoed.
    const id = isUuid(req.params.id) ? req.params.id : undefined;
    c.resource = id ? `pause:${id}` : 'pause:(not a pause id)';
    onlyParams(req, z.strictObject({}));
    const body = parseBody(req, ResumeBody);
    const reason = requireReason(body.reason);
    const ability = c.access!.ability;
    authorize(ability, 'resume_writer', GUARDRAIL_SUBJECT);
    const pause = id ? await deps.guard.store.getPause(id) : undefined;
    if (!pause) throw fail('pause_not_found', id ? `no pause ${id}` : 'no pause has that id (pause ids are UUIDs)');
    const grantIds = authorize(ability, 'resume_writer', asSubject(GUARDRAIL_SUBJECT, { domain: pause.domain }));
    const by = c.principal!.subject;
    if (pause.subject === by) throw fail('self_resume', 'nobody resumes their own pause; ask the domain steward or an admin');
    let after;
    try {
      after = await deps.guard.store.resume(pause.id, by, reason, deps.clock.now(), (before, resumed) =>
        auditEntry(deps, req, res, { decision: 'allow', reason, status: 200, resource: pause.dataset, details: { before, after: resumed }, grantIds }),
      );
      c.audited = true;
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      throw fail('audit_unavailable', 'the resume and its audit entry could not be committed together; nothing was changed', {}, e);
    }
    deps.guard.alerts.send({ event: 'writer_resumed', at: after.resumedAt!, subject: pause.subject, dataset: pause.dataset, pauseId: pause.id, detail: reason, by, requestId: c.requestId });
    res.json(after);
  });

  return r;
}
