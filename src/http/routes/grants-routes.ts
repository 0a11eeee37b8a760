// POST /v1/grants, GET /v1/grants, DELETE /v1/grants/:id, POST /v1/grants/:id/renew: thin adapters over
// the grant use cases (grants/grant-commands.ts, shared with the CLI), each committed with its audit
// entry; who may list which grants is decided by the policy layer.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { grantResource, grantRole, renewGrant, revokeGrant } from '../../grants/grant-commands';
import type { Grant } from '../../grants/grant-types';
import { MAX_REASON, MAX_SUBJECT } from '../../grants/use-case';
import { GRANT_SUBJECT } from '../../policy/build-ability';
import { authorize } from '../../policy/authorize';
import { mayManage } from '../../policy/grant-decisions';
import { recordOutcome } from '../audit-request';
import { changeWithAudit } from '../change-with-audit';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { onlyParams } from '../only-params';
import { router } from '../router';

// A missing or blank reason is the use case's 400 reason_required, the same on every route and verb.
const reason = z.string().max(MAX_REASON).optional();

export const NewGrantBody = z.strictObject({
  subject: z.string().min(1).max(MAX_SUBJECT),
  role: z.string().min(1).max(64),
  domain: z.string().min(1).max(64).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  reason,
});

export const RenewBody = z.strictObject({ expiresAt: z.iso.datetime({ offset: true }).optional(), reason });

export const RevokeQuery = z.strictObject({ reason });

export const ListQuery = z.strictObject({
  subject: z.string().min(1).max(MAX_SUBJECT).optional(),
  domain: z.string().min(1).max(64).optional(),
  status: z.enum(['active', 'all']).optional(),
});

export function grantsRoutes(deps: AppDeps): Router {
  const r = router();

  r.post('/v1/grants', async (req, res) => {
    const c = ctx(res);
    c.action = 'grant';
    c.resource = 'grant:new';
    const body = parseBody(req, NewGrantBody);
    const grant = await changeWithAudit(deps, req, res, (actor, trx) => grantRole(deps, actor, body, trx));
    res.status(201).location(`/v1/grants/${grant.id}`).json(grant);
  });

  r.get('/v1/grants', async (req, res) => {
    const c = ctx(res);
    c.action = 'list_grants';
    const q = onlyParams(req, ListQuery);
    const ability = c.access!.ability;
    const grantIds = authorize(ability, 'list_grants', GRANT_SUBJECT);
    await deps.usage.flush(); // this process's recent usage shows in lastUsedAt
    const all = await deps.grants.list({ subject: q.subject, domain: q.domain, includeRevoked: q.status === 'all' });
    const grants = all.filter((g: Grant) => mayManage(ability, 'list_grants', g));
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'list grants', status: 200, rowCount: grants.length, grantIds });
    res.json({ grants });
  });

  r.delete('/v1/grants/:id', async (req, res) => {
    const c = ctx(res);
    c.action = 'revoke';
    c.resource = grantResource(req.params.id);
    const q = onlyParams(req, RevokeQuery);
    await changeWithAudit(deps, req, res, (actor, trx) => revokeGrant(deps, actor, { id: req.params.id, reason: q.reason }, trx));
    res.status(204).end();
  });

  r.post('/v1/grants/:id/renew', async (req, res) => {
    const c = ctx(res);
    c.action = 'renew';
    c.resource = grantResource(req.params.id);
    const body = parseBody(req, RenewBody);
    res.json(await changeWithAudit(deps, req, res, (actor, trx) => renewGrant(deps, actor, { id: req.params.id, ...body }, trx)));
  });

  return r;
}
