// Authentication middleware: verifies the bearer token and loads the subject's grants and ability.
// It only ever answers 401 (revoked tokens and suspended subjects included); what the subject may do
// is decided later, by the policy layer.
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { verifyingKey } from '../auth/load-key';
import { cachingVerifier } from '../auth/verified-tokens';
import { GatewayError, fail } from '../errors';
import { ctx } from './request-context';

export function authenticate(deps: AppDeps) {
  const verify = cachingVerifier(verifyingKey(deps.verifyKey), {
    issuer: deps.config.jwt.issuer,
    audience: deps.config.jwt.audience,
    maxAgeMs: deps.config.tokenMaxAgeMs,
  });
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const c = ctx(res);
    c.action = 'authenticate';
    c.principal = verify(req.get('authorization'), deps.clock.now());
    c.action = undefined;
    try {
      c.access = await deps.access.forPrincipal(c.principal);
    } catch (e) {
      if (e instanceof GatewayError) throw e;
      throw fail('store_unavailable', 'the gateway state store did not answer; try again', {}, e);
    }
    next();
  };
}
