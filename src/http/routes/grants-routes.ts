// POST /v1/grants, GET /v1/grants, DELETE /v1/grants/:id, POST /v1/grants/:id/renew. Who may manage
// which grants is decided by the policy layer (CASL rules on the Grant subject); the rules every change
// obeys (expiry bound, last admin) live in grants/grant-changes.ts; each change commits with its audit entry.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { assertAdminRemains, planNewGrant, planRenewal } from '../../grants/grant-changes';
import type { Grant } from '../../grants/grant-types';
import { GRANT_SUBJECT, type AppAbility } from '../../policy/build-ability';
import { allowedBy, mayManage } from '../../policy/grant-decisions';
import { recordOutcome } from '../audit-request';
import { changeWithAudit } from '../change-with-audit';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { onlyParams } from '../only-params';
import { router } from '../router';

const NewGrantBody = z.strictObject({
  subject: z.string().min(1).max(255),
  role: z.string().min(1).max(64),
  domain: z.string().min(1).max(64).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  reason: z.string().trim().min(1, 'a reason is required').max(1000),
});

const RenewBody = z.strictObject({
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  reason: z.string().trim().min(1, 'a reason is required').max(1000),
});

const ListQuery = z.strictObject({
  subject: z.string().min(1).optional(),
  domain: z.string().min(1).optional(),
  status: z.enum(['active', 'all']).optional(),
});

export function grantsRoutes(deps: AppDeps): Router {
  const r = router();

  r.post('/v1/grants', async (req, res) => {
    const c = ctx(res);
    c.action = 'grant';
    c.resource = 'grant:new';
    const body = parseBody(req, NewGrantBody);
    const now = deps.clock.now();
    const { role, domain, expiresAt } = planNewGrant(deps.policies, body, now);
    if (!mayManage(c.access!.ability, 'grant', { domain, role: role.name })) {
      throw fail('forbidden', `you may not grant ${role.name} on ${domain}`, { missing: `grant ${role.name} on ${domain}` });
    }
    if (body.subject === c.principal!.subject) throw fail('self_grant', 'nobody can grant a role to themselves; ask another admin');

    const grant = await changeWithAudit(deps, req, res, async (trx) => {
      const g = await deps.grants.create({ subject: body.subject, role: role.name, domain, reason: body.reason, createdBy: c.principal!.subject, expiresAt }, now, trx);
      return { result: g, details: { before: null, after: g, reason: body.reason }, reason: body.reason, resource: `grant:${g.id}`, status: 201, grantIds: allowedBy(c.access!.ability, 'grant', g) };
    });
    res.status(201).location(`/v1/grants/${grant.id}`).json(grant);
  });

  r.get('/v1/grants', async (req, res) => {
    const c = ctx(res);
    c.action = 'list_grants';
    const q = onlyParams(req, ListQuery);
    const ability = c.access!.ability;
    if (!ability.can('list_grants', GRANT_SUBJECT)) throw fail('forbidden', 'you may not list grants', { missing: 'list_grants' });
    await deps.usage.flush(); // this process's recent usage shows in lastUsedAt
    const all = await deps.grants.list({ subject: q.subject, domain: q.domain, includeRevoked: q.status === 'all' });
    const grants = all.filter((g: Grant) => mayManage(ability, 'list_grants', g));
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'list grants', status: 200, rowCount: grants.length });
    res.json({ grants });
  });

  /** The grant named by :id, if the caller may `action` it; 404 only to callers who may act on some grant. */
  async function grantFor(req: { params: { id: string } }, ability: AppAbility, action: 'grant' | 'revoke'): Promise<Grant> {
    const grant = await deps.grants.get(req.params.id);
    if (!grant || grant.revokedAt) {
      if (!ability.can(action, GRANT_SUBJECT)) throw fail('forbidden', `you may not ${action === 'grant' ? 'renew' : 'revoke'} grants`, { missing: action });
      throw fail('grant_not_found', `no active grant ${req.params.id}`);
    }
    if (!mayManage(ability, action, grant)) {
      throw fail('forbidden', `you may not ${action === 'grant' ? 'renew' : 'revoke'} ${grant.role} on ${grant.domain}`, { missing: `${action} ${grant.role} on ${grant.domain}` });
    }
    return grant;
  }

  r.delete('/v1/grants/:id', async (req, res) => {
    const c = ctx(res);
    c.action = 'revoke';
    c.resource = `grant:${req.params.id}`;
    const { reason } = onlyParams(req, z.strictObject({ reason: z.string().max(1000).optional() }));
    const grant = await grantFor(req, c.access!.ability, 'revoke');
    const now = deps.clock.now();
    await changeWithAudit(deps, req, res, async (trx) => {
      await assertAdminRemains(deps, { revoking: [grant] }, now, trx);
      const after = await deps.grants.revoke(grant.id, c.principal!.subject, reason ?? null, now, trx);
      if (!after) throw fail('grant_not_found', `no active grant ${grant.id}`);
      return { result: after, details: { before: grant, after, reason: reason ?? null }, reason: reason ?? 'revoked', resource: `grant:${grant.id}`, status: 204, grantIds: allowedBy(c.access!.ability, 'revoke', grant) };
    });
    res.status(204).end();
  });

  // Renewing is granting again for a new period: the same permission, the same bound, never for oneself.
  r.post('/v1/grants/:id/renew', async (req, res) => {
    const c = ctx(res);
    c.action = 'renew';
    c.resource = `grant:${req.params.id}`;
    const body = parseBody(req, RenewBody);
    const grant = await grantFor(req, c.access!.ability, 'grant');
    if (grant.subject === c.principal!.subject) throw fail('self_grant', 'nobody can renew their own grant; ask another admin');
    const now = deps.clock.now();
    const expiresAt = planRenewal(deps.policies, grant, body.expiresAt, now);
    const after = await changeWithAudit(deps, req, res, async (trx) => {
      const renewed = await deps.grants.renew(grant.id, expiresAt, trx);
      if (!renewed) throw fail('grant_not_found', `no active grant ${grant.id}`);
      return {
        result: renewed,
        details: { before: grant, after: renewed, oldExpiresAt: grant.expiresAt, newExpiresAt: renewed.expiresAt, reason: body.reason },
        reason: body.reason,
        resource: `grant:${grant.id}`,
        status: 200,
        grantIds: allowedBy(c.access!.ability, 'grant', grant),
      };
    });
    res.json(after);
  });

  return r;
}
