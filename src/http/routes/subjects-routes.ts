// POST /v1/subjects/:sub/suspend and /resume: incident response. A suspended subject is refused with
// 401 subject_suspended on the next request on every process; its grants are kept but inactive, and
// come back as they were on resume. Admins only; each change is audited with its reason.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { assertAdminRemains } from '../../grants/grant-changes';
import { mayManageEverything } from '../../policy/grant-decisions';
import { changeWithAudit } from '../change-with-audit';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { router } from '../router';

const ReasonBody = z.strictObject({ reason: z.string().trim().min(1, 'a reason is required').max(1000) });

export function subjectsRoutes(deps: AppDeps): Router {
  const r = router();

  for (const verb of ['suspend', 'resume'] as const) {
    r.post(`/v1/subjects/:sub/${verb}`, async (req, res) => {
      const c = ctx(res);
      const sub = String(req.params.sub);
      c.action = verb;
      c.resource = `subject:${sub}`;
      if (!mayManageEverything(c.access!.ability, deps.policies)) throw fail('forbidden', `only an admin may ${verb} a subject`, { missing: 'revoke every role on every domain (admin)' });
      const { reason } = parseBody(req, ReasonBody);
      if (sub === c.principal!.subject) throw fail('self_grant', `nobody can ${verb} themselves; ask another admin`);
      const now = deps.clock.now();
      const out = await changeWithAudit<{ subject: string; suspended: boolean; since?: string; reason: string }>(deps, req, res, async (trx) => {
        if (verb === 'suspend') {
          await assertAdminRemains(deps, { suspending: sub }, now, trx);
          const s = await deps.revocations.suspend(sub, reason, c.principal!.subject, now, trx);
          if (!s) throw fail('already_suspended', `${sub} is already suspended`);
          return { result: { subject: sub, suspended: true, since: s.createdAt, reason }, details: { before: null, after: s, reason }, reason, resource: `subject:${sub}`, status: 200 };
        }
        const before = await deps.revocations.resume(sub, trx);
        if (!before) throw fail('not_suspended', `${sub} is not suspended`);
        return { result: { subject: sub, suspended: false, reason }, details: { before, after: null, reason }, reason, resource: `subject:${sub}`, status: 200 };
      });
      res.json(out);
    });
  }

  return r;
}
