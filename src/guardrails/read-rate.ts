// Read rate limits per subject (issue 10, finding 12): a role may declare
// `readRateLimit: { requests, per }`; a subject whose grants carry such roles gets the strictest of
// them on its reads. Counted in memory per gateway process over fixed windows (with N replicas the
// effective limit is N times), in a bounded table of subjects.
import type { Access } from '../grants/access-resolver';
import type { Grant } from '../grants/grant-types';
import { fail } from '../errors';
import type { Policies } from '../policy/load-policies';
import { FixedWindows, secondsLeft, type Window } from './fixed-windows';

export interface ReadRateLimit {
  requests: number;
  /** The window, in ms. */
  per: number;
  /** The role that declared it. */
  role: string;
}

/** Subjects tracked at once; past it the oldest window is dropped. */
export const MAX_SUBJECTS = 10_000;

/** Whether any role declares a read limit (if none, reads are not even counted). */
export function anyReadRateLimit(policies: Policies): boolean {
  return Object.values(policies.roles).some((r) => r.readRateLimit);
}

/** The strictest read limit among the roles of the grants: the lowest rate, then the smaller burst. Pure. */
export function strictestReadLimit(policies: Policies, grants: readonly Grant[]): ReadRateLimit | undefined {
  let best: ReadRateLimit | undefined;
  for (const g of grants) {
    const l = policies.roles[g.role]?.readRateLimit;
    if (!l) continue;
    const stricter = !best || l.requests * best.per < best.requests * l.per || (l.requests * best.per === best.requests * l.per && l.requests < best.requests);
    if (stricter) best = { ...l, role: g.role };
  }
  return best;
}

interface Reads extends Window {
  count: number;
}

export class ReadRateLimiter {
  private readonly table = new FixedWindows<Reads>(MAX_SUBJECTS);
  /** The limit of each access (AccessResolver keeps one object per subject and grants version). */
  private readonly limits = new WeakMap<Access, ReadRateLimit | null>();

  /** Counts one read of the subject; throws read_rate_limited (429, Retry-After) past its limit. */
  count(subject: string, access: Access, now: number): void {
    let limit = this.limits.get(access);
    if (limit === undefined) {
      limit = strictestReadLimit(access.policies, access.grants) ?? null;
      this.limits.set(access, limit);
    }
    if (!limit) return;
    const per = limit.per;
    const w = this.table.open(subject, now, (start) => ({ start, until: start + per, count: 0 }));
    if (w.count >= limit.requests) {
      throw fail('read_rate_limited', `reads are limited to ${limit.requests} per ${per / 1000} s (role ${limit.role}); try again later`, {
        retryAfterSeconds: secondsLeft(w, now),
        limit: { requests: limit.requests, perSeconds: per / 1000, role: limit.role },
      });
    }
    w.count++;
  }
}
