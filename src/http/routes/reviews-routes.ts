// GET /v1/reviews/grants?unusedFor=30d&expiringWithin=14d: grants that look broader than needed;
// POST /v1/reviews/grants/apply { grantIds, reason }: revokes them all in one audited step (all or
// nothing). Admins see every grant, stewards those they may revoke (their own domain).
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { assertAdminRemains } from '../../grants/grant-changes';
import type { Grant } from '../../grants/grant-types';
import { reviewGrant } from '../../grants/review-grants';
import { GRANT_SUBJECT } from '../../policy/build-ability';
import { allowedBy, mayManage } from '../../policy/grant-decisions';
import { parseDuration } from '../../parse-duration';
import { recordOutcome } from '../audit-request';
import { changeWithAudit } from '../change-with-audit';
import { onlyParams } from '../only-params';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { router } from '../router';

const duration = z.string().refine((v) => parseDuration(v) !== undefined, 'a duration such as 30d, 12h or 3600 (seconds)').transform((v) => parseDuration(v)!);
const ReviewQuery = z.strictObject({ unusedFor: duration.optional(), expiringWithin: duration.optional(), domain: z.string().min(1).optional() });
const ApplyBody = z.strictObject({
  grantIds: z.array(z.string().min(1).max(64)).min(1).max(1000).refine((ids) => new Set(ids).size === ids.length, 'grant ids must be distinct'),
  reason: z.string().trim().min(1, 'a reason is required').max(1000),
});

const DEFAULT_UNUSED_MS = 30 * 86_400_000;
const DEFAULT_EXPIRING_MS = 14 * 86_400_000;

export function reviewsRoutes(deps: AppDeps): Router {
  const r = router();

  r.get('/v1/reviews/grants', async (req, res) => {
    const c = ctx(res);
    c.action = 'review_grants';
    const q = onlyParams(req, ReviewQuery);
    const ability = c.access!.ability;
    if (!ability.can('revoke', GRANT_SUBJECT)) throw fail('forbidden', 'access reviews are for admins and stewards', { missing: 'revoke' });
    await deps.usage.flush();
    const now = deps.clock.now();
    const opts = { unusedForMs: q.unusedFor ?? DEFAULT_UNUSED_MS, expiringWithinMs: q.expiringWithin ?? DEFAULT_EXPIRING_MS };
    const grants = (await deps.grants.list({ domain: q.domain }))
      .filter((g) => !g.expiresAt || Date.parse(g.expiresAt) > now.getTime())
      .filter((g) => mayManage(ability, 'revoke', g));
    const items = grants.map((g) => reviewGrant(g, deps.policies.roles[g.role], now, opts)).filter((i) => i.findings.length > 0);
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'access review', status: 200, rowCount: items.length });
    res.json({ asOf: now.toISOString(), unusedForSeconds: opts.unusedForMs / 1000, expiringWithinSeconds: opts.expiringWithinMs / 1000, grants: items });
  });

  r.post('/v1/reviews/grants/apply', async (req, res) => {
    const c = ctx(res);
    c.action = 'review_apply';
    c.resource = 'grants:review';
    const body = parseBody(req, ApplyBody);
    const ability = c.access!.ability;
    if (!ability.can('revoke', GRANT_SUBJECT)) throw fail('forbidden', 'access reviews are for admins and stewards', { missing: 'revoke' });
    const now = deps.clock.now();
    const revoked = await changeWithAudit(deps, req, res, async (trx) => {
      const before: Grant[] = [];
      for (const id of body.grantIds) {
        const g = await deps.grants.get(id, trx);
        if (!g || g.revokedAt) throw fail('grant_not_found', `no active grant ${id}; nothing was revoked`);
        if (!mayManage(ability, 'revoke', g)) throw fail('forbidden', `you may not revoke ${g.role} on ${g.domain}; nothing was revoked`, { missing: `revoke ${g.role} on ${g.domain}` });
        before.push(g);
      }
      await assertAdminRemains(deps, { revoking: before }, now, trx);
      const after: Grant[] = [];
      for (const g of before) {
        const a = await deps.grants.revoke(g.id, c.principal!.subject, body.reason, now, trx);
        if (!a) throw fail('grant_not_found', `no active grant ${g.id}; nothing was revoked`);
        after.push(a);
      }
      return { result: after, details: { grantIds: body.grantIds, before, after, reason: body.reason }, reason: body.reason, resource: `grants:${body.grantIds.length}`, status: 200, grantIds: [...new Set(before.flatMap((g) => allowedBy(ability, 'revoke', g)))] };
    });
    res.json({ revoked });
  });

  return r;
}
