// Remembers tokens already verified, so a client sending the same bearer token on every request pays
// the signature check once. Only time-independent checks are remembered (signature, algorithm,
// issuer, audience, maximum age, sub); the time checks (exp, nbf, iat, with the same tolerance) are
// made again on every use, and a token that fails them goes through the full verification, which
// answers the precise error. Revocations and suspensions are decided after this, on every request.
import type { VerifyKey } from './load-key';
import { CLOCK_TOLERANCE_S, verifyToken, type Principal, type VerifyOptions } from './verify-token';

/** Verified tokens remembered per verifier. Bounded: when full it starts over, so memory stays flat. */
export const VERIFIED_TOKENS_MAX = 10000;

interface Verified {
  principal: Principal;
  notBefore?: number;
}

/** verifyToken with a memory of successes, for one key and one set of options (issuer, audience, maximum age). */
export function cachingVerifier(key: VerifyKey, opts: Omit<VerifyOptions, 'now'>): (header: string | undefined, now: Date) => Principal {
  const verified = new Map<string, Verified>();
  return (header, now) => {
    const hit = header === undefined ? undefined : verified.get(header);
    if (hit) {
      const clock = Math.floor(now.getTime() / 1000);
      const p = hit.principal;
      // The same comparisons jsonwebtoken (exp, nbf) and verifyToken (iat) make.
      const current =
        clock < p.expiresAt + CLOCK_TOLERANCE_S &&
        (hit.notBefore === undefined || hit.notBefore <= clock + CLOCK_TOLERANCE_S) &&
        (p.issuedAt === undefined || p.issuedAt <= now.getTime() / 1000 + CLOCK_TOLERANCE_S);
      if (current) return p;
    }
    const { principal, notBefore } = verifyToken(header, key, { ...opts, now }, true);
    if (verified.size >= VERIFIED_TOKENS_MAX) verified.clear();
    verified.set(header!, { principal, notBefore });
    return principal;
  };
}
