// Authentication middleware: verifies the bearer token and loads the subject's grants and ability.
// It only ever answers 401 (revoked tokens and suspended subjects included), or 429 to an address
// past its limit of failed authentications (auth/failure-limiter.ts); what the subject may do is
// decided later, by the policy layer.
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { verifyingKey } from '../auth/load-key';
import type { Principal } from '../auth/verify-token';
import type { Access } from '../grants/access-resolver';
import { tokenVerifier } from '../auth/verified-tokens';
import { GatewayError, fail } from '../errors';
import { ctx } from './request-context';

/** The one token check: an `Authorization` value ("Bearer <jwt>") -> the principal, or a 401 problem. */
export function bearerVerifier(deps: AppDeps) {
  const key = deps.verifyKey;
  return tokenVerifier(
    'remote' in key ? key : verifyingKey(key),
    {
      issuer: deps.config.jwt.issuer,
      audience: deps.config.jwt.audience,
      maxAgeMs: deps.config.tokenMaxAgeMs,
      subjectClaim: deps.config.jwt.subjectClaim,
      cooldownMs: deps.config.jwt.jwksCooldownMs,
    },
    deps.caches.tokens,
  );
}

export function authenticate(deps: AppDeps) {
  const verify = bearerVerifier(deps);
  const failures = deps.authFailures;
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const c = ctx(res);
    const now = deps.clock.now();
    const ip = c.ip ?? '';
    const due = failures.flushDue(now.getTime());
    if (due) await due;
    // Decided before verifying: a limited address's valid token still passes, its failures do not count.
    const retryAfterSeconds = failures.overLimit(ip, now.getTime());
    try {
      c.action = 'authenticate';
      const verified = verify(req.get('authorization'), now);
      c.principal = verified instanceof Promise ? await verified : verified;
      c.action = undefined;
      c.access = await loadAccess(deps, c.principal);
    } catch (e) {
      if (e instanceof GatewayError && e.status === 401) {
        if (retryAfterSeconds !== undefined) {
          // The first refusal of the window is audited as usual; later ones count into the coalesced entry.
          if (!failures.refused(ip, e.code, now.getTime())) c.audited = true;
          throw fail('auth_rate_limited', 'too many failed authentications from this address; try again later', { retryAfterSeconds });
        }
        failures.failed(ip, now.getTime());
      }
      throw e;
    }
    next();
  };
}

export async function loadAccess(deps: AppDeps, principal: Principal): Promise<Access> {
  try {
    return await deps.access.forPrincipal(principal);
  } catch (e) {
    if (e instanceof GatewayError) throw e;
    throw fail('store_unavailable', 'the gateway state store did not answer; try again', {}, e);
  }
}
