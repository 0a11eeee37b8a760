// Middleware after authentication: counts the subject's reads (every GET and HEAD) against the
// read rate limit its roles declare (guardrails/read-rate.ts). A refusal is a 429 audited by the
// problem handler like any other. When no role declares a limit, it does nothing at all.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { ReadRateLimiter, anyReadRateLimit } from '../guardrails/read-rate';
import { ctx } from './request-context';

export function limitReads(deps: AppDeps): RequestHandler {
  if (!anyReadRateLimit(deps.policies)) return (_req, _res, next) => next();
  const limiter = new ReadRateLimiter(deps.policies);
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const c = ctx(res);
      limiter.count(c.principal!.subject, c.access!, deps.clock.now().getTime());
    }
    next();
  };
}
