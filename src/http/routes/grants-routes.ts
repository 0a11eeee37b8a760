// POST /v1/grants, GET /v1/grants, DELETE /v1/grants/:id. Who may manage which grants is decided by
// the policy layer (CASL rules on the Grant subject); each change commits with its audit entry.
import { subject as asSubject } from '@casl/ability';
import { Router, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { GatewayError, fail } from '../../errors';
import type { Grant } from '../../grants/grant-types';
import { GRANT_SUBJECT, grantOfRule, type AppAbility } from '../../policy/build-ability';
import { auditEntry, recordOutcome } from '../audit-request';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { onlyParams } from '../only-params';

const DAY_MS = 86_400_000;

const NewGrantBody = z.strictObject({
  subject: z.string().min(1).max(255),
  role: z.string().min(1).max(64),
  domain: z.string().min(1).max(64).optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  reason: z.string().trim().min(1, 'a reason is required').max(1000),
});

const ListQuery = z.strictObject({
  subject: z.string().min(1).optional(),
  domain: z.string().min(1).optional(),
  status: z.enum(['active', 'all']).optional(),
});

function mayManage(ability: AppAbility, action: 'grant' | 'revoke' | 'list_grants', g: { domain: string; role: string }): boolean {
  return ability.can(action, asSubject(GRANT_SUBJECT, { domain: g.domain, role: g.role }));
}

/** The grant whose rule allowed the change, for the audit entry. */
function allowedBy(ability: AppAbility, action: 'grant' | 'revoke', g: { domain: string; role: string }): string[] {
  const id = grantOfRule(ability.relevantRuleFor(action, asSubject(GRANT_SUBJECT, { domain: g.domain, role: g.role })));
  return id ? [id] : [];
}

export function grantsRoutes(deps: AppDeps): Router {
  const r = Router();

  /** Runs a grant change and its audit entry in one state transaction: both commit or neither. */
  async function changeWithAudit<T>(req: Request, res: Response, work: (trx: Knex.Transaction) => Promise<{ result: T; details: Record<string, unknown>; reason: string; resource: string; status: number; grantIds?: string[] }>): Promise<T> {
    try {
      const result = await deps.state.knex.transaction(async (trx) => {
        const out = await work(trx);
        await deps.audit.recordIn(trx, auditEntry(deps, req, res, { decision: 'allow', reason: out.reason, status: out.status, resource: out.resource, details: out.details, grantIds: out.grantIds }));
        return out.result;
      });
      ctx(res).audited = true;
      return result;
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      deps.logger.error({ err: e, requestId: ctx(res).requestId }, 'grant change or its audit entry failed: rolled back');
      throw fail('audit_unavailable', 'the change and its audit entry could not be committed together; nothing was changed');
    }
  }

  r.post('/v1/grants', async (req, res) => {
    const c = ctx(res);
    c.action = 'grant';
    c.resource = 'grant:new';
    const body = parseBody(req, NewGrantBody);
    const role = deps.policies.roles[body.role];
    if (!role) throw fail('invalid_grant', `unknown role ${body.role}; roles are ${Object.keys(deps.policies.roles).join(', ')}`);
    const domain = body.domain ?? (role.scope === 'global' ? '*' : undefined);
    if (role.scope === 'global' && domain !== '*') throw fail('invalid_grant', `role ${role.name} is global: give domain "*" or none`);
    if (role.scope === 'domain' && (!domain || !deps.policies.domains.includes(domain))) {
      throw fail('invalid_grant', `role ${role.name} is granted per domain; domain must be one of ${deps.policies.domains.join(', ')}`);
    }
    if (!mayManage(c.access!.ability, 'grant', { domain: domain!, role: role.name })) {
      throw fail('forbidden', `you may not grant ${role.name} on ${domain}`, { missing: `grant ${role.name} on ${domain}` });
    }
    if (body.subject === c.principal!.subject) throw fail('self_grant', 'nobody can grant a role to themselves; ask another admin');
    const now = deps.clock.now();
    const max = new Date(now.getTime() + role.maxGrantDays * DAY_MS);
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : max;
    if (expiresAt.getTime() <= now.getTime()) throw fail('invalid_grant', 'expiresAt is in the past');
    if (expiresAt.getTime() > max.getTime()) throw fail('invalid_grant', `${role.name} grants last at most ${role.maxGrantDays} days (until ${max.toISOString()})`);

    const grant = await changeWithAudit(req, res, async (trx) => {
      const g = await deps.grants.create({ subject: body.subject, role: role.name, domain: domain!, reason: body.reason, createdBy: c.principal!.subject, expiresAt }, now, trx);
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
    const all = await deps.grants.list({ subject: q.subject, domain: q.domain, includeRevoked: q.status === 'all' });
    const grants = all.filter((g: Grant) => mayManage(ability, 'list_grants', g));
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'list grants', status: 200, rowCount: grants.length });
    res.json({ grants });
  });

  r.delete('/v1/grants/:id', async (req, res) => {
    const c = ctx(res);
    c.action = 'revoke';
    c.resource = `grant:${req.params.id}`;
    const { reason } = onlyParams(req, z.strictObject({ reason: z.string().max(1000).optional() }));
    const ability = c.access!.ability;
    const grant = await deps.grants.get(req.params.id);
    if (!grant || grant.revokedAt) {
      if (!ability.can('revoke', GRANT_SUBJECT)) throw fail('forbidden', 'you may not revoke grants', { missing: 'revoke' });
      throw fail('grant_not_found', `no active grant ${req.params.id}`);
    }
    if (!mayManage(ability, 'revoke', grant)) throw fail('forbidden', `you may not revoke ${grant.role} on ${grant.domain}`, { missing: `revoke ${grant.role} on ${grant.domain}` });
    const now = deps.clock.now();
    await changeWithAudit(req, res, async (trx) => {
      if (grant.role === 'admin') {
        const admins = (await deps.grants.list({}, trx)).filter((g) => g.role === 'admin' && (!g.expiresAt || Date.parse(g.expiresAt) > now.getTime()));
        if (admins.length <= 1) throw fail('last_admin', 'this is the last admin grant; grant another admin first');
      }
      const after = await deps.grants.revoke(grant.id, c.principal!.subject, reason ?? null, now, trx);
      if (!after) throw fail('grant_not_found', `no active grant ${grant.id}`);
      return { result: after, details: { before: grant, after, reason: reason ?? null }, reason: reason ?? 'revoked', resource: `grant:${grant.id}`, status: 204, grantIds: allowedBy(ability, 'revoke', grant) };
    });
    res.status(204).end();
  });

  return r;
}
