// Middleware after authentication: counts the subject's reads (every GET and HEAD) against the
// read rate limit its roles declare (guardrails/read-rate.ts). A refusal is a 429 audited by the
// problem handler like any other. When no role of the policies in force declares a limit (asked once
// per policies object: a reload may add one), reads are not even counted.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { ReadRateLimiter, anyReadRateLimit } from '../guardrails/read-rate';
import type { Policies } from '../policy/load-policies';
import { ctx } from './request-context';

export function limitReads(deps: AppDeps): RequestHandler {
  const limiter = new ReadRateLimiter();
  const anyLimit = new WeakMap<Policies, boolean>();
  const limited = (p: Policies): boolean => {
    let any = anyLimit.get(p);
    if (any === undefined) anyLimit.set(p, (any = anyReadRateLimit(p)));
    return any;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const c = ctx(res);
      if (limited(c.access!.policies)) limiter.count(c.principal!.subject, c.access!, deps.clock.now().getTime());
    }
    next();
  };
}
