// Access reviews need to know when each grant last authorised a request, but a write to the state
// store per request would slow every read. Usage is collected in memory and written in one batch
// every few seconds (MESHGUARD_USAGE_FLUSH_MS) and at close; losing a few seconds of usage on a
// crash only makes a grant look slightly less recently used.
import type pino from 'pino';
import type { AuditInput } from '../audit/audit-entry';
import type { GrantStore } from './grant-store';

/** The audit actions of data writes (http/routes/rows-routes.ts): POST is insert or upsert, PATCH update. */
export const WRITE_ACTIONS: ReadonlySet<string> = new Set(['insert', 'upsert', 'update']);

/** Did this allowed entry change data? A dry run is audited under its action but writes nothing. */
export function isWrite(entry: Pick<AuditInput, 'action' | 'details'>): boolean {
  return WRITE_ACTIONS.has(entry.action) && entry.details?.dryRun !== true;
}

export class GrantUsage {
  private pending = new Map<string, { usedAt: number; writeAt: number | null }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly grants: GrantStore,
    private readonly flushMs: number,
    private readonly logger: pino.Logger,
  ) {}

  /** Notes that `grantIds` authorised the audited `entry` (a write, or not). Cheap: memory only. */
  touch(grantIds: readonly string[], entry: Pick<AuditInput, 'action' | 'details' | 'ts'>): void {
    const t = entry.ts.getTime();
    const write = isWrite(entry);
    for (const id of grantIds) {
      const u = this.pending.get(id) ?? { usedAt: 0, writeAt: null };
      u.usedAt = Math.max(u.usedAt, t);
      if (write) u.writeAt = Math.max(u.writeAt ?? 0, t);
      this.pending.set(id, u);
    }
    if (!this.timer && this.flushMs > 0) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending; resolves when it (and any flush under way) is committed. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.flushing.then(async () => {
      try {
        await this.grants.recordUsage(batch);
      } catch (e) {
        // Usage is advisory: keep it for the next flush rather than fail a request.
        this.logger.warn({ err: e }, 'grant usage flush failed; will retry');
        for (const [id, u] of batch) if (!this.pending.has(id)) this.pending.set(id, u);
      }
    });
    return this.flushing;
  }
}
