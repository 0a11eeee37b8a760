// Subject -> active grants and the compiled CASL ability, cached per subject and grants version.
// The version is read from the state store on every request, so a grant change made by any process
// invalidates the cache on the very next request; expiry is honoured to the instant.
import type { Clock } from '../clock';
import { buildAbility, type AppAbility } from '../policy/build-ability';
import type { Policies } from '../policy/load-policies';
import type { GrantStore } from './grant-store';
import type { Grant } from './grant-types';

export interface Access {
  grants: Grant[];
  ability: AppAbility;
}

interface Entry extends Access {
  version: number;
  /** The first instant at which one of the grants expires: the entry is stale from then on. */
  validUntil: number;
}

const MAX_ENTRIES = 10000;

export class AccessResolver {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly grants: GrantStore,
    private readonly policies: Policies,
    private readonly clock: Clock,
  ) {}

  async forSubject(subject: string): Promise<Access> {
    const version = await this.grants.version();
    const now = this.clock.now();
    const hit = this.cache.get(subject);
    if (hit && hit.version === version && now.getTime() < hit.validUntil) return hit;

    const grants = await this.grants.active(subject, now);
    const validUntil = Math.min(Infinity, ...grants.filter((g) => g.expiresAt).map((g) => Date.parse(g.expiresAt!)));
    const entry: Entry = { grants, ability: buildAbility(this.policies, grants), version, validUntil };
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.delete(subject);
    this.cache.set(subject, entry);
    return entry;
  }
}
