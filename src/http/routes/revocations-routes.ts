// POST /v1/revocations and GET /v1/revocations: token revocation, by jti (one token) or by subject and
// issuedBefore (every token of a subject issued before an instant: the lost laptop). Admins only
// (it takes away a subject's access everywhere). Effective on the next request on every process: the
// revocations version counter is bumped in the same transaction. Pruned once the tokens have expired.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { CLOCK_TOLERANCE_S } from '../../auth/verify-token';
import { fail } from '../../errors';
import { mayManageEverything } from '../../policy/grant-decisions';
import { recordOutcome } from '../audit-request';
import { changeWithAudit } from '../change-with-audit';
import { onlyParams } from '../only-params';
import { parseBody } from '../parse-body';
import { ctx, type RequestContext } from '../request-context';
import { router } from '../router';

const reason = z.string().trim().min(1, 'a reason is required').max(1000);
const RevokeBody = z.union([
  z.strictObject({ jti: z.string().min(1).max(255), reason }),
  z.strictObject({ subject: z.string().min(1).max(255), issuedBefore: z.iso.datetime({ offset: true }), reason }),
]);

export function revocationsRoutes(deps: AppDeps): Router {
  const r = router();

  const requireAdmin = (c: RequestContext) => {
    if (!mayManageEverything(c.access!.ability, deps.policies)) throw fail('forbidden', 'only an admin may revoke tokens or list revocations', { missing: 'revoke every role on every domain (admin)' });
  };

  r.post('/v1/revocations', async (req, res) => {
    const c = ctx(res);
    c.action = 'revoke_token';
    c.resource = 'revocation:new';
    requireAdmin(c);
    const body = parseBody(req, RevokeBody);
    const now = deps.clock.now();
    // A token lives at most tokenMaxAge after its iat; the revocation may go once all it names have expired.
    const slack = deps.config.tokenMaxAgeMs + CLOCK_TOLERANCE_S * 1000;
    let spec;
    if ('jti' in body) {
      spec = { jti: body.jti, pruneAfter: new Date(now.getTime() + slack) };
    } else {
      const issuedBefore = new Date(body.issuedBefore);
      if (issuedBefore.getTime() > now.getTime() + CLOCK_TOLERANCE_S * 1000) throw fail('invalid_body', 'issuedBefore may not be in the future');
      spec = { subject: body.subject, issuedBefore, pruneAfter: new Date(issuedBefore.getTime() + slack) };
    }
    const revocation = await changeWithAudit(deps, req, res, async (trx) => {
      await deps.revocations.prune(now, trx);
      const rev = await deps.revocations.revoke({ ...spec, reason: body.reason, createdBy: c.principal!.subject }, now, trx);
      return { result: rev, details: { before: null, after: rev, reason: body.reason }, reason: body.reason, resource: `revocation:${rev.id}`, status: 201 };
    });
    res.status(201).json(revocation);
  });

  r.get('/v1/revocations', async (req, res) => {
    const c = ctx(res);
    c.action = 'list_revocations';
    requireAdmin(c);
    onlyParams(req, z.strictObject({}));
    const now = deps.clock.now();
    const revocations = (await deps.revocations.list()).filter((x) => Date.parse(x.pruneAfter) >= now.getTime());
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'list token revocations', status: 200, rowCount: revocations.length });
    res.json({ revocations });
  });

  return r;
}
