// Bearer JWT -> Principal. Authentication only: failures are 401, never 403. The algorithm is
// pinned to the configured key; exp, iat and sub are required; nbf honoured; 30 s clock tolerance.
// iat is required (deny by default) so that "every token issued before T" revocations can be decided,
// and exp - iat may not exceed the configured maximum token age, which bounds how long a revocation
// must be kept before it is pruned.
import jwt from 'jsonwebtoken';
import { GatewayError, fail, type ErrorCode } from '../errors';
import type { VerifyKey } from './load-key';

export interface Principal {
  subject: string;
  tokenId?: string;
  issuedAt?: number;
  expiresAt: number;
}

export const CLOCK_TOLERANCE_S = 30;

/** The detail of every token refusal: fixed text, never any from the token or from jsonwebtoken's
 *  messages (which can quote the token), so no answer, header or audit entry carries token text. */
export const TOKEN_REFUSALS = {
  missing: 'send a bearer token: Authorization: Bearer <jwt>',
  scheme: 'the Authorization header must be "Bearer <jwt>"',
  malformed: 'the token is not a well-formed JWT',
  algorithm: "the token's algorithm is not allowed",
  signature: "the token's signature does not verify",
  claims: "the token's issuer or audience is not accepted",
  expired: 'the token has expired',
  notYetValid: 'the token is not valid yet (nbf)',
  noExp: 'the token has no exp claim',
  noIat: 'the token has no iat claim (required so that revocations by issue time can be decided)',
  futureIat: 'the token was issued in the future (iat)',
  noSub: 'the token has no usable sub claim',
  unknownKey: "the token's key is not one the identity provider publishes",
} as const;

export interface VerifyOptions {
  issuer?: string;
  audience?: string;
  now: Date;
  maxAgeMs?: number;
  /** The claim that names the subject (MESHGUARD_SUBJECT_CLAIM); `sub` when unset. */
  subjectClaim?: string;
}

/** The compact JWT of an `Authorization: Bearer` header, or the 401 that says what is wrong with it. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw fail('missing_token', TOKEN_REFUSALS.missing);
  const m = /^Bearer\s+([A-Za-z0-9_.~+/=-]+)\s*$/i.exec(header);
  if (!m) throw fail('invalid_token', TOKEN_REFUSALS.scheme);
  return m[1];
}

/** The claims every verified token must carry (exp, iat, a subject), whoever signed it -> Principal. */
export function principalFrom(payload: { exp?: unknown; iat?: unknown; jti?: unknown; [claim: string]: unknown }, opts: VerifyOptions): Principal {
  if (typeof payload.exp !== 'number') throw fail('invalid_token', TOKEN_REFUSALS.noExp);
  if (typeof payload.iat !== 'number') throw fail('invalid_token', TOKEN_REFUSALS.noIat);
  if (payload.iat > opts.now.getTime() / 1000 + CLOCK_TOLERANCE_S) throw fail('invalid_token', TOKEN_REFUSALS.futureIat);
  if (opts.maxAgeMs !== undefined && (payload.exp - payload.iat) * 1000 > opts.maxAgeMs) {
    throw fail('invalid_token', `the token lives longer than the allowed ${opts.maxAgeMs / 1000} s (exp - iat)`);
  }
  const subject = payload[opts.subjectClaim ?? 'sub'];
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 255) {
    throw fail('invalid_token', opts.subjectClaim && opts.subjectClaim !== 'sub' ? `the token has no usable ${opts.subjectClaim} claim` : TOKEN_REFUSALS.noSub);
  }
  return {
    subject,
    tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
    issuedAt: payload.iat,
    expiresAt: payload.exp,
  };
}

export function verifyToken(header: string | undefined, key: VerifyKey, opts: VerifyOptions): Principal;
/** With `withNotBefore`, also the token's nbf claim (for verified-tokens.ts, which re-checks it on reuse). */
export function verifyToken(header: string | undefined, key: VerifyKey, opts: VerifyOptions, withNotBefore: true): { principal: Principal; notBefore?: number };
export function verifyToken(header: string | undefined, key: VerifyKey, opts: VerifyOptions, withNotBefore?: true): Principal | { principal: Principal; notBefore?: number } {
  const token = bearerToken(header);
  const alg = headerAlgorithm(token);
  if (alg === undefined) throw fail('invalid_token', TOKEN_REFUSALS.malformed);
  // Checked here, before jsonwebtoken (which pins it too), so that `alg: none` without a signature
  // and algorithm confusion are refused as what they are.
  if (!(key.algorithms as string[]).includes(alg)) throw fail('invalid_token', TOKEN_REFUSALS.algorithm);
  let payload: jwt.JwtPayload;
  try {
    const decoded = jwt.verify(token, key.key, {
      algorithms: key.algorithms,
      issuer: opts.issuer,
      audience: opts.audience,
      clockTolerance: CLOCK_TOLERANCE_S,
      clockTimestamp: Math.floor(opts.now.getTime() / 1000),
    });
    if (typeof decoded === 'string') throw fail('invalid_token', TOKEN_REFUSALS.malformed);
    payload = decoded;
  } catch (e) {
    throw fail(...libraryRefusal(e));
  }
  const principal = principalFrom(payload, opts);
  return withNotBefore ? { principal, notBefore: typeof payload.nbf === 'number' ? payload.nbf : undefined } : principal;
}

/** The `alg` of a compact JWS's header, or undefined when the token is not three segments with a JSON header. */
function headerAlgorithm(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[0])) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    const alg = header && typeof header === 'object' ? (header as { alg?: unknown }).alg : undefined;
    return typeof alg === 'string' ? alg : undefined;
  } catch {
    return undefined;
  }
}

/** jsonwebtoken's failure -> our code and fixed detail. Its messages are compared, never echoed. */
function libraryRefusal(e: unknown): [ErrorCode, string] {
  if (e instanceof GatewayError) return [e.code, e.message];
  if (e instanceof jwt.TokenExpiredError) return ['token_expired', TOKEN_REFUSALS.expired];
  if (e instanceof jwt.NotBeforeError) return ['token_not_yet_valid', TOKEN_REFUSALS.notYetValid];
  const message = e instanceof Error ? e.message : '';
  if (message === 'invalid signature') return ['invalid_token', TOKEN_REFUSALS.signature];
  if (message === 'invalid algorithm') return ['invalid_token', TOKEN_REFUSALS.algorithm];
  if (message.startsWith('jwt issuer invalid') || message.startsWith('jwt audience invalid')) return ['invalid_token', TOKEN_REFUSALS.claims];
  // Anything else (a payload that is not JSON, a claim of the wrong type) is a malformed token.
  return ['invalid_token', TOKEN_REFUSALS.malformed];
}
