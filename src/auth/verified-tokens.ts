// Remembers tokens already verified, so a client sending the same bearer token on every request pays
// the signature check once. Only time-independent checks are remembered (signature, algorithm,
// issuer, audience, maximum age, sub); the time checks (exp, nbf, iat, with the same tolerance) are
// made again on every use, and a token that fails them goes through the full verification, which
// answers the precise error. Revocations and suspensions are decided after this, on every request.
// A token verified with an identity provider's keys is remembered only while the gateway holds the
// same fetch of those keys: once they are fetched again (a rotation), it is verified again, so a key
// the provider removed stops being accepted.
import type { CacheCounts } from '../observability/gateway-metrics';
import type { RemoteKeys, VerifyKey } from './load-key';
import { remoteVerifier } from './remote-keys';
import { CLOCK_TOLERANCE_S, verifyToken, type Principal, type VerifyOptions } from './verify-token';

/** Verified tokens remembered per verifier. Bounded: when full it starts over, so memory stays flat. */
export const VERIFIED_TOKENS_MAX = 10000;

interface Verified {
  principal: Principal;
  notBefore?: number;
  /** For remote keys: the fetch of the key set that verified it. */
  keySet?: unknown;
}


type Verifier = (header: string | undefined, now: Date) => Principal | Promise<Principal>;

/** The same comparisons jsonwebtoken (exp, nbf) and verifyToken (iat) make. */
function stillCurrent(hit: Verified, now: Date): boolean {
  const clock = Math.floor(now.getTime() / 1000);
  const p = hit.principal;
  return (
    clock < p.expiresAt + CLOCK_TOLERANCE_S &&
    (hit.notBefore === undefined || hit.notBefore <= clock + CLOCK_TOLERANCE_S) &&
    (p.issuedAt === undefined || p.issuedAt <= now.getTime() / 1000 + CLOCK_TOLERANCE_S)
  );
}

function remember(verified: Map<string, Verified>, header: string, entry: Verified): Principal {
  if (verified.size >= VERIFIED_TOKENS_MAX) verified.clear();
  verified.set(header, entry);
  return entry.principal;
}

/** verifyToken with a memory of successes, for one key and one set of options (issuer, audience, maximum age, subject claim). */
export function cachingVerifier(key: VerifyKey, opts: Omit<VerifyOptions, 'now'>, counts: CacheCounts = { hits: 0, misses: 0 }): (header: string | undefined, now: Date) => Principal {
  const verified = new Map<string, Verified>();
  return (header, now) => {
    const hit = header === undefined ? undefined : verified.get(header);
    if (hit && stillCurrent(hit, now)) {
      counts.hits++;
      return hit.principal;
    }
    counts.misses++;
    return remember(verified, header!, verifyToken(header, key, { ...opts, now }, true));
  };
}

/** The same for an identity provider's keys (asynchronous: the keys may have to be fetched). */
export function cachingRemoteVerifier(keys: RemoteKeys, opts: Omit<VerifyOptions, 'now'> & { cooldownMs: number }, counts: CacheCounts = { hits: 0, misses: 0 }): Verifier {
  const verified = new Map<string, Verified>();
  const remote = remoteVerifier(keys, opts);
  return async (header, now) => {
    const hit = header === undefined ? undefined : verified.get(header);
    if (hit && hit.keySet === remote.keySet() && stillCurrent(hit, now)) {
      counts.hits++;
      return hit.principal;
    }
    counts.misses++;
    return remember(verified, header!, await remote.verify(header, now));
  };
}

/** The verifier for the configured key source. */
export function tokenVerifier(key: VerifyKey | RemoteKeys, opts: Omit<VerifyOptions, 'now'> & { cooldownMs: number }, counts?: CacheCounts): Verifier {
  return 'remote' in key ? cachingRemoteVerifier(key, opts, counts) : cachingVerifier(key, opts, counts);
}
