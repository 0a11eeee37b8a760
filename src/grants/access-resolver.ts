// Principal -> active grants and the compiled CASL ability, cached per subject. One query per request
// (shared by the requests of one event-loop turn, see VersionReader in state-versions.ts) reads the
// grants, revocations and suspensions version counters together; any change made by any
// process sharing the state store bumps one of them in its own transaction, so caches here are
// invalidated by the change itself on the very next request (no timer). Expiry is honoured to the instant.
// The same read tells a long answer already in flight whether the access it started with still holds.
// Abilities are built from the policies in force (policy/policy-holder.ts): a cached one built from
// policies since replaced by a reload is rebuilt on the subject's next request.
import type { Principal } from '../auth/verify-token';
import type { Clock } from '../clock';
import { fail, GatewayError } from '../errors';
import { buildAbility, type AppAbility } from '../policy/build-ability';
import type { Policies } from '../policy/load-policies';
import type { GrantStore } from './grant-store';
import type { Grant } from './grant-types';
import type { RevocationStore, Suspension } from './revocation-store';
import type { StateDb } from '../state/open-state';
import type { ChangeFeed } from '../state/change-feed';
import { VersionReader, type Versions } from './state-versions';

export interface Access {
  grants: Grant[];
  ability: AppAbility;
  /** The policies the ability was built from (their version goes into the request's audit entry). */
  policies: Policies;
}

interface Entry extends Access {
  version: number;
  /** The first instant at which one of the grants expires: the entry is stale from then on. */
  validUntil: number;
}

/** Revoked token ids, per-subject "issued before" cut-offs, suspended subjects, as of a version pair. */
interface Denials {
  revocationsVersion: number;
  suspensionsVersion: number;
  jtis: Set<string>;
  issuedBefore: Map<string, number>;
  suspended: Map<string, Suspension>;
}

const MAX_ENTRIES = 10000;

export class AccessResolver {
  private readonly cache = new Map<string, Entry>();
  /** Hits and misses of the ability cache (for the metrics). */
  readonly counts = { hits: 0, misses: 0 };
  private denials: Denials | null = null;
  private readonly versions: VersionReader;

  constructor(
    state: StateDb,
    private readonly grants: GrantStore,
    private readonly revocations: RevocationStore,
    private readonly policies: () => Policies,
    private readonly clock: Clock,
    feed?: ChangeFeed,
  ) {
    this.versions = new VersionReader(state, feed);
  }

  /** Counter queries run and skipped (the change feed confirmed nothing changed): round trips per request. */
  get versionStats(): { queries: number; skipped: number } {
    return this.versions.stats;
  }

  /** Authentication's second half: refuses revoked tokens and suspended subjects (401), then loads access. */
  async forPrincipal(p: Principal): Promise<Access> {
    const versions = await this.versions.read();
    const d = await this.denialsAt(versions);
    const s = d.suspended.get(p.subject);
    if (s) throw fail('subject_suspended', `subject ${p.subject} is suspended since ${s.createdAt}`);
    if (p.tokenId && d.jtis.has(p.tokenId)) throw fail('token_revoked', 'this token has been revoked');
    const cutoff = d.issuedBefore.get(p.subject);
    // A token without iat cannot prove it was issued after the cut-off: deny by default.
    if (cutoff !== undefined && (p.issuedAt === undefined || p.issuedAt * 1000 < cutoff)) {
      throw fail('token_revoked', `tokens of ${p.subject} issued before ${new Date(cutoff).toISOString()} have been revoked; get a new token`);
    }
    return this.grantsAt(p.subject, versions.grants_version);
  }

  /**
   * Whether the access a read started with still holds: the subject is not suspended, its token not
   * revoked, and each of `grantIds` (the grants that authorised the read) still in force. The answer
   * says why not (403 access_revoked), for a stream to end with. It reads the same shared version
   * counters as every request: when none changed and no grant has expired, it costs that one read.
   */
  async stillHolds(p: Principal, grantIds: readonly string[]): Promise<GatewayError | undefined> {
    let access: Access;
    try {
      access = await this.forPrincipal(p);
    } catch (e) {
      if (e instanceof GatewayError && e.status === 401) return fail('access_revoked', `access was revoked during the answer: ${e.message}`, { because: e.code });
      throw e;
    }
    const held = new Set(access.grants.map((g) => g.id));
    const lost = grantIds.filter((id) => !held.has(id));
    if (lost.length === 0) return undefined;
    return fail('access_revoked', `access was revoked during the answer: grant ${lost.join(', ')}, which authorised this read, was revoked or has expired`, {
      because: 'grant_revoked_or_expired',
      grantIds: lost,
    });
  }

  /** The subject's access now, and its suspension if any (for explain). */
  async forSubject(subject: string): Promise<Access & { suspended?: Suspension }> {
    const versions = await this.versions.read();
    const d = await this.denialsAt(versions);
    const access = await this.grantsAt(subject, versions.grants_version);
    return { ...access, suspended: d.suspended.get(subject) };
  }

  private async denialsAt(v: Versions): Promise<Denials> {
    const d = this.denials;
    if (d && d.revocationsVersion === v.revocations_version && d.suspensionsVersion === v.suspensions_version) return d;
    const [revs, susp] = await Promise.all([this.revocations.list(), this.revocations.suspensions()]);
    const next: Denials = {
      revocationsVersion: v.revocations_version,
      suspensionsVersion: v.suspensions_version,
      jtis: new Set(),
      issuedBefore: new Map(),
      suspended: new Map(susp.map((s) => [s.subject, s])),
    };
    for (const r of revs) {
      if (r.jti) next.jtis.add(r.jti);
      if (r.subject && r.issuedBefore) next.issuedBefore.set(r.subject, Math.max(next.issuedBefore.get(r.subject) ?? 0, Date.parse(r.issuedBefore)));
    }
    this.denials = next;
    return next;
  }

  private async grantsAt(subject: string, version: number): Promise<Access> {
    const now = this.clock.now();
    const policies = this.policies();
    const hit = this.cache.get(subject);
    if (hit && hit.version === version && hit.policies === policies && now.getTime() < hit.validUntil) {
      this.counts.hits++;
      return hit;
    }
    this.counts.misses++;

    const grants = await this.grants.active(subject, now);
    const validUntil = Math.min(Infinity, ...grants.filter((g) => g.expiresAt).map((g) => Date.parse(g.expiresAt!)));
    const entry: Entry = { grants, ability: buildAbility(policies, grants), policies, version, validUntil };
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.delete(subject);
    this.cache.set(subject, entry);
    return entry;
  }
}
