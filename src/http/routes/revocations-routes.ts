// POST /v1/revocations and GET /v1/revocations: token revocation, by jti (one token) or by subject and
// issuedBefore (every token of a subject issued before an instant: the lost laptop). Admins only
// (it takes away a subject's access everywhere). Effective on the next request on every process: the
// revocations version counter is bumped in the same transaction. Pruned once the tokens have expired.
// The change itself is grants/subject-commands.ts's revokeTokens, shared with the CLI.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { revokeTokens } from '../../grants/subject-commands';
import { MAX_REASON, MAX_SUBJECT } from '../../grants/use-case';
import { authorizeEverything } from '../../policy/grant-decisions';
import { recordOutcome } from '../audit-request';
import { changeWithAudit } from '../change-with-audit';
import { onlyParams } from '../only-params';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { router } from '../router';

const reason = z.string().max(MAX_REASON).optional();
export const RevokeBody = z.union([
  z.strictObject({ jti: z.string().min(1).max(255), reason }),
  z.strictObject({ subject: z.string().min(1).max(MAX_SUBJECT), issuedBefore: z.iso.datetime({ offset: true }), reason }),
]);

export function revocationsRoutes(deps: AppDeps): Router {
  const r = router();

  r.post('/v1/revocations', async (req, res) => {
    const c = ctx(res);
    c.action = 'revoke_token';
    c.resource = 'revocation:new';
    const body = parseBody(req, RevokeBody);
    res.status(201).json(await changeWithAudit(deps, req, res, (actor, trx) => revokeTokens(deps, actor, body, trx)));
  });

  r.get('/v1/revocations', async (req, res) => {
    const c = ctx(res);
    c.action = 'list_revocations';
    const grantIds = authorizeEverything(c.access!.ability, deps.policies);
    onlyParams(req, z.strictObject({}));
    const now = deps.clock.now();
    const revocations = (await deps.revocations.list()).filter((x) => Date.parse(x.pruneAfter) >= now.getTime());
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'list token revocations', status: 200, rowCount: revocations.length, grantIds });
    res.json({ revocations });
  });

  return r;
}
