// The outermost audit door: every answer of every path (but the public /healthz) leaves with its
// entry. Routes record their decision before answering and the problem handler records every
// refusal; this guard sees the status line go out, and if no entry was written for the request (an
// answer Express makes by itself, such as OPTIONS, or a route that forgot) it records one and logs
// the gap, so nothing answered is ever missing from the log.
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { recordOutcome } from './audit-request';
import { ctx } from './request-context';

export function auditGuard(deps: AppDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const writeHead = res.writeHead;
    res.writeHead = function guardedWriteHead(this: Response, ...args: unknown[]) {
      const c = ctx(res);
      if (c && !c.audited && !c.public) {
        c.audited = true;
        const status = res.statusCode;
        if (status < 400 && req.method !== 'OPTIONS') deps.logger.error({ requestId: c.requestId, method: req.method, path: req.path, status }, 'an answer left without its audit entry; recorded by the audit guard');
        void recordOutcome(deps, req, res, {
          decision: status < 400 ? 'allow' : 'deny',
          reason: `answered ${status} without a decision entry of its own (recorded by the audit guard)`,
          status,
        }).catch((err) => deps.logger.error({ err, requestId: c.requestId }, 'the audit guard could not record an answer'));
      }
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as Response['writeHead'];
    next();
  };
}
