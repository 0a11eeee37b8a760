// GET /v1/reviews/grants?unusedFor=30d&expiringWithin=14d: grants that look broader than needed;
// POST /v1/reviews/grants/apply { grantIds, reason }: revokes them all in one audited step (all or
// nothing, through grants/grant-commands.ts's applyReview, shared with the CLI). Admins see every
// grant, stewards those they may revoke (their own domain).
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { applyReview } from '../../grants/grant-commands';
import { reviewGrant } from '../../grants/review-grants';
import { MAX_REASON } from '../../grants/use-case';
import { GRANT_SUBJECT } from '../../policy/build-ability';
import { authorize } from '../../policy/authorize';
import { mayManage } from '../../policy/grant-decisions';
import { lookup } from '../../policy/lookup-table';
import { parseDuration } from '../../parse-duration';
import { recordOutcome } from '../audit-request';
import { changeWithAudit } from '../change-with-audit';
import { onlyParams } from '../only-params';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { router } from '../router';

const duration = z.string().refine((v) => parseDuration(v) !== undefined, 'a duration such as 30d, 12h or 3600 (seconds)').transform((v) => parseDuration(v)!);
export const ReviewQuery = z.strictObject({ unusedFor: duration.optional(), expiringWithin: duration.optional(), domain: z.string().min(1).max(64).optional() });
export const ApplyBody = z.strictObject({
  grantIds: z.array(z.string().min(1).max(64)).min(1).max(1000),
  reason: z.string().max(MAX_REASON).optional(),
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
    const grantIds = authorize(ability, 'revoke', GRANT_SUBJECT);
    await deps.usage.flush();
    const now = deps.clock.now();
    const opts = { unusedForMs: q.unusedFor ?? DEFAULT_UNUSED_MS, expiringWithinMs: q.expiringWithin ?? DEFAULT_EXPIRING_MS };
    const grants = (await deps.grants.list({ domain: q.domain }))
      .filter((g) => !g.expiresAt || Date.parse(g.expiresAt) > now.getTime())
      .filter((g) => mayManage(ability, 'revoke', g));
    const items = grants.map((g) => reviewGrant(g, lookup(deps.policies.roles, g.role), now, opts)).filter((i) => i.findings.length > 0);
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'access review', status: 200, rowCount: items.length, grantIds });
    res.json({ asOf: now.toISOString(), unusedForSeconds: opts.unusedForMs / 1000, expiringWithinSeconds: opts.expiringWithinMs / 1000, grants: items });
  });

  r.post('/v1/reviews/grants/apply', async (req, res) => {
    const c = ctx(res);
    c.action = 'review_apply';
    c.resource = 'grants:review';
    const body = parseBody(req, ApplyBody);
    res.json({ revoked: await changeWithAudit(deps, req, res, (actor, trx) => applyReview(deps, actor, body, trx)) });
  });

  return r;
}
