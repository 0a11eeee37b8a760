// Bearer JWT -> Principal. Authentication only: failures are 401, never 403. The algorithm is
// pinned to the configured key; exp, iat and sub are required; nbf honoured; 30 s clock tolerance.
// iat is required (deny by default) so that "every token issued before T" revocations can be decided,
// and exp - iat may not exceed the configured maximum token age, which bounds how long a revocation
// must be kept before it is pruned.
import jwt from 'jsonwebtoken';
import { fail } from '../errors';
import type { VerifyKey } from './load-key';

export interface Principal {
  subject: string;
  tokenId?: string;
  issuedAt?: number;
  expiresAt: number;
}

export const CLOCK_TOLERANCE_S = 30;

export interface VerifyOptions {
  issuer?: string;
  audience?: string;
  now: Date;
  maxAgeMs?: number;
}

export function verifyToken(header: string | undefined, key: VerifyKey, opts: VerifyOptions): Principal;
/** With `withNotBefore`, also the token's nbf claim (for verified-tokens.ts, which re-checks it on reuse). */
export function verifyToken(header: string | undefined, key: VerifyKey, opts: VerifyOptions, withNotBefore: true): { principal: Principal; notBefore?: number };
export function verifyToken(header: string | undefined, key: VerifyKey, opts: VerifyOptions, withNotBefore?: true): Principal | { principal: Principal; notBefore?: number } {
  if (!header) throw fail('missing_token', 'send a bearer token: Authorization: Bearer <jwt>');
  const m = /^Bearer\s+([A-Za-z0-9_.~+/=-]+)\s*$/i.exec(header);
  if (!m) throw fail('invalid_token', 'the Authorization header must be "Bearer <jwt>"');
  let payload: jwt.JwtPayload;
  try {
    const decoded = jwt.verify(m[1], key.key, {
      algorithms: key.algorithms,
      issuer: opts.issuer,
      audience: opts.audience,
      clockTolerance: CLOCK_TOLERANCE_S,
      clockTimestamp: Math.floor(opts.now.getTime() / 1000),
    });
    if (typeof decoded === 'string') throw new jwt.JsonWebTokenError('payload is not a JSON object');
    payload = decoded;
  } catch (e) {
    if (e instanceof jwt.TokenExpiredError) throw fail('token_expired', 'the token has expired');
    if (e instanceof jwt.NotBeforeError) throw fail('token_not_yet_valid', 'the token is not valid yet (nbf)');
    throw fail('invalid_token', `the token was refused: ${(e as Error).message}`);
  }
  if (typeof payload.exp !== 'number') throw fail('invalid_token', 'the token has no exp claim');
  if (typeof payload.iat !== 'number') throw fail('invalid_token', 'the token has no iat claim (required so that revocations by issue time can be decided)');
  if (payload.iat > opts.now.getTime() / 1000 + CLOCK_TOLERANCE_S) throw fail('invalid_token', 'the token was issued in the future (iat)');
  if (opts.maxAgeMs !== undefined && (payload.exp - payload.iat) * 1000 > opts.maxAgeMs) {
    throw fail('invalid_token', `the token lives longer than the allowed ${opts.maxAgeMs / 1000} s (exp - iat)`);
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
    throw fail('invalid_token', 'the token has no usable sub claim');
  }
  const principal: Principal = {
    subject: payload.sub,
    tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
    issuedAt: payload.iat,
    expiresAt: payload.exp,
  };
  return withNotBefore ? { principal, notBefore: typeof payload.nbf === 'number' ? payload.nbf : undefined } : principal;
}
