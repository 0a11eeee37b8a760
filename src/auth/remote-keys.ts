// Tokens signed by an identity provider's published keys: a JWKS URL (MESHGUARD_JWT_JWKS_URL), or an
// OpenID provider (MESHGUARD_OIDC_ISSUER) whose discovery document names its jwks_uri and the issuer
// tokens must carry. jose's remote key set caches the keys, selects one by kid, fetches again for an
// unknown kid (a rotation is picked up without a restart) at most once per cooldown, and drops keys
// the provider no longer publishes. Algorithms are pinned by key type: RS256 (RSA), ES256 (P-256),
// EdDSA (Ed25519). Refusals are 401 with the fixed texts of verify-token.ts; a provider that cannot
// be reached for a key the gateway does not hold is a 503 (fail closed), never an acceptance.
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { GatewayError, fail } from '../errors';
import type { RemoteKeys } from './load-key';
import { CLOCK_TOLERANCE_S, TOKEN_REFUSALS, bearerToken, principalFrom, type Principal, type VerifyOptions } from './verify-token';

/** jose is published only as an ES module; Node (20.19 and later) requires it as it is. */
const jose = (): typeof Jose => require('jose') as typeof Jose;

export const REMOTE_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
const FETCH_TIMEOUT_MS = 5000;

/** Verifies one token; `keySet` says which fetch of the provider's keys verified it. */
export type RemoteVerify = (header: string | undefined, now: Date) => Promise<{ principal: Principal; notBefore?: number; keySet: unknown }>;

/** The key set currently held: changes identity on every successful fetch (a cache hit from an older one is verified again). */
export type CurrentKeySet = () => unknown;

export function remoteVerifier(keys: RemoteKeys, opts: Omit<VerifyOptions, 'now'> & { cooldownMs: number }): { verify: RemoteVerify; keySet: CurrentKeySet } {
  const cache: Jose.ExportedJWKSCache | Record<string, never> = {};
  let resolved: Promise<{ keys: Jose.JWTVerifyGetKey; issuer?: string }> | undefined;
  const resolve = () => {
    resolved ??= locate(keys, opts.issuer).then(
      ({ jwksUrl, issuer }) => ({
        keys: jose().createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: opts.cooldownMs, timeoutDuration: FETCH_TIMEOUT_MS, [jose().jwksCache]: cache }),
        issuer,
      }),
      (e) => {
        resolved = undefined; // discovery is tried again on the next request
        throw e;
      },
    );
    return resolved;
  };
  const verify: RemoteVerify = async (header, now) => {
    const token = bearerToken(header);
    const { keys: keySet, issuer } = await resolve();
    let payload: Jose.JWTPayload;
    try {
      ({ payload } = await jose().jwtVerify(token, keySet, {
        algorithms: REMOTE_ALGORITHMS,
        issuer,
        audience: opts.audience,
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: now,
      }));
    } catch (e) {
      throw refusal(e);
    }
    return { principal: principalFrom(payload, { ...opts, now }), notBefore: payload.nbf, keySet: (cache as { jwks?: unknown }).jwks };
  };
  return { verify, keySet: () => (cache as { jwks?: unknown }).jwks };
}

/** The JWKS URL and the issuer tokens must name: as configured, or from the provider's discovery document. */
async function locate(keys: RemoteKeys, configuredIssuer: string | undefined): Promise<{ jwksUrl: string; issuer?: string }> {
  if ('jwksUrl' in keys.remote) return { jwksUrl: keys.remote.jwksUrl, issuer: configuredIssuer };
  const issuer = keys.remote.oidcIssuer;
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let doc: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' }, redirect: 'error' });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    doc = (await res.json()) as typeof doc;
  } catch (e) {
    throw fail('idp_unavailable', 'the identity provider cannot be reached (discovery); try again', {}, e);
  }
  // The discovery document must name the configured issuer exactly (OpenID Connect Discovery, section 4.3).
  if (doc.issuer !== issuer || typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) {
    throw fail('idp_unavailable', "the identity provider's discovery document does not match MESHGUARD_OIDC_ISSUER", {}, new Error(`discovery at ${url}`));
  }
  return { jwksUrl: doc.jwks_uri, issuer };
}

/** jose's failure -> our 401 with a fixed text, or a 503 when the keys could not be fetched. jose's messages are never echoed. */
function refusal(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const code = (e as { code?: unknown }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return fail('token_expired', TOKEN_REFUSALS.expired);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (e as { claim?: unknown }).claim;
      if (claim === 'nbf') return fail('token_not_yet_valid', TOKEN_REFUSALS.notYetValid);
      if (claim === 'iss' || claim === 'aud') return fail('invalid_token', TOKEN_REFUSALS.claims);
      return fail('invalid_token', TOKEN_REFUSALS.malformed);
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return fail('invalid_token', TOKEN_REFUSALS.signature);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return fail('invalid_token', TOKEN_REFUSALS.algorithm);
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return fail('invalid_token', TOKEN_REFUSALS.unknownKey);
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JWK_INVALID':
      return fail('invalid_token', TOKEN_REFUSALS.malformed);
    default:
      // The key set could not be fetched (timeout, refused connection, not 200, not a JWKS): fail closed.
      return fail('idp_unavailable', "the identity provider's keys cannot be fetched; try again", {}, e);
  }
}
