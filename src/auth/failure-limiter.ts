// Failed authentications per client address (issue 10, finding 12): bad tokens are not free.
// An address may fail `perMinute` times in a window of a minute, each failure audited on its own by
// the problem handler, as any refusal. Past that, until the window ends, a request from it whose
// authentication fails is refused with 429 (Retry-After); the first such refusal is audited on its
// own, the later ones are not audited one by one: they are counted and written as one coalesced entry per address and window (with their count and
// codes) when the window ends, when the address is evicted from the bounded table, or at close.
// A valid token from a limited address still passes: the check that refuses is the verification.
import crypto from 'node:crypto';
import type { AuditInput } from '../audit/audit-entry';
import type { Clock } from '../clock';
import { FixedWindows, secondsLeft, type Window } from '../guardrails/fixed-windows';

export const FAILURE_WINDOW_MS = 60_000;
/** Addresses tracked at once; past it the oldest window is written out and dropped. */
export const MAX_ADDRESSES = 10_000;

interface Failures extends Window {
  failures: number;
  /** The window's first refusal was audited on its own (durably, before its answer). */
  announced: boolean;
  refused: number;
  codes: Record<string, number>;
}

export interface FailureLimiterOptions {
  /** Failures per address per minute before refusals are coalesced; 0 turns the limit off. */
  perMinute: number;
  clock: Clock;
  /** The version of the policies in force when an entry is written (they may be reloaded). */
  policyVersion: () => string;
  /** Appends an audit entry (AuditLog.record). */
  record: (entry: AuditInput) => Promise<unknown>;
  /** A coalesced entry that could not be written (the requests it counts were already refused). */
  onError: (err: unknown) => void;
  maxAddresses?: number;
}

export class FailureLimiter {
  private readonly table: FixedWindows<Failures>;
  /** Coalesced entries of ended windows, not yet written. */
  private readonly due: AuditInput[] = [];
  /** The earliest end of a window holding refusals: nothing is due before it. */
  private nextDue = Infinity;
  private readonly timer?: NodeJS.Timeout;

  constructor(private readonly o: FailureLimiterOptions) {
    this.table = new FixedWindows<Failures>(o.maxAddresses ?? MAX_ADDRESSES, (ip, w) => {
      if (w.refused > 0) this.due.push(this.coalesced(ip, w));
    });
    if (o.perMinute > 0) {
      // Writes ended windows when no request comes to do it; requests do it on the way (flushDue).
      this.timer = setInterval(() => void this.flush(), FAILURE_WINDOW_MS);
      this.timer.unref();
    }
  }

  /** Seconds until the address may fail again, when it is over the limit at `now`; else undefined. */
  overLimit(ip: string, now: number): number | undefined {
    if (this.o.perMinute === 0) return undefined;
    const w = this.table.current(ip, now);
    return w && w.failures >= this.o.perMinute ? secondsLeft(w, now) : undefined;
  }

  /** A failure below the limit (audited on its own by the caller). */
  failed(ip: string, now: number): void {
    if (this.o.perMinute === 0) return;
    this.table.open(ip, now, open).failures++;
  }

  /**
   * A failure past the limit. The window's first one is to be audited on its own (true): the log then
   * holds, durably, that the address was limited, even if the process dies before the count is
   * written. Later ones are counted into the address's coalesced entry (false).
   */
  refused(ip: string, code: string, now: number): boolean {
    const w = this.table.open(ip, now, open);
    if (!w.announced) {
      w.announced = true;
      return true;
    }
    w.refused++;
    w.codes[code] = (w.codes[code] ?? 0) + 1;
    this.nextDue = Math.min(this.nextDue, w.until);
    return false;
  }

  /** Writes the coalesced entries due at `now`; undefined (nothing to wait for) in the usual case. */
  flushDue(now: number): Promise<void> | undefined {
    return now < this.nextDue && this.due.length === 0 ? undefined : this.flush();
  }

  /** Writes every pending count (at shutdown, before the audit log closes). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.table.drain();
    this.nextDue = Infinity;
    await this.flush();
  }

  private async flush(): Promise<void> {
    const now = this.o.clock.now().getTime();
    if (now >= this.nextDue) {
      this.table.sweep(now);
      this.nextDue = Infinity;
      for (const w of this.table.values()) if (w.refused > 0) this.nextDue = Math.min(this.nextDue, w.until);
    }
    const entries = this.due.splice(0);
    await Promise.all(entries.map((e) => this.o.record(e).catch(this.o.onError)));
  }

  private coalesced(ip: string, w: Failures): AuditInput {
    return {
      ts: this.o.clock.now(),
      requestId: crypto.randomUUID(),
      subject: null,
      action: 'authenticate',
      resource: null,
      decision: 'deny',
      reason: `auth_rate_limited: ${w.refused} failed authentications past the limit, coalesced`,
      status: 429,
      clientIp: ip,
      policyVersion: this.o.policyVersion(),
      details: { coalesced: w.refused, failuresAuditedSeparately: w.failures + 1, codes: w.codes, from: new Date(w.start).toISOString(), until: new Date(w.until).toISOString() },
    };
  }
}

const open = (now: number): Failures => ({ start: now, until: now + FAILURE_WINDOW_MS, failures: 0, announced: false, refused: 0, codes: {} });
