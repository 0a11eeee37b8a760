// POST /v1/subjects/:sub/suspend and /resume: incident response. A suspended subject is refused with
// 401 subject_suspended on the next request on every process; its grants are kept but inactive, and
// come back as they were on resume. Thin adapters over grants/subject-commands.ts (shared with the CLI).
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { resumeSubject, suspendSubject } from '../../grants/subject-commands';
import { MAX_REASON, subjectName } from '../../grants/use-case';
import { changeWithAudit } from '../change-with-audit';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { router } from '../router';

export const ReasonBody = z.strictObject({ reason: z.string().max(MAX_REASON).optional() });
const COMMANDS = { suspend: suspendSubject, resume: resumeSubject } as const;

export function subjectsRoutes(deps: AppDeps): Router {
  const r = router();

  for (const verb of ['suspend', 'resume'] as const) {
    r.post(`/v1/subjects/:sub/${verb}`, async (req, res) => {
      const c = ctx(res);
      c.action = verb;
      // Bounded before it reaches the audit entry: a longer name is a 400 that does not echo it.
      const subject = subjectName(String(req.params.sub));
      c.resource = `subject:${subject}`;
      const { reason } = parseBody(req, ReasonBody);
      res.json(await changeWithAudit(deps, req, res, (actor, trx) => COMMANDS[verb](deps, actor, { subject, reason }, trx)));
    });
  }

  return r;
}
