// Access reviews need to know when each grant last authorised a request, but a write to the state
// store per request would slow every read. Usage is collected in memory and written in one batch
// every few seconds (MESHGUARD_USAGE_FLUSH_MS) and at close; losing a few seconds of usage on a
// crash only makes a grant look slightly less recently used.
import type pino from 'pino';
import type { GrantStore } from './grant-store';

const WRITE_ACTIONS = new Set(['insert', 'update']);

export class GrantUsage {
  private pending = new Map<string, { usedAt: number; writeAt: number | null }>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly grants: GrantStore,
    private readonly flushMs: number,
    private readonly logger: pino.Logger,
  ) {}

  /** Notes that `grantIds` authorised `action` at `at`. Cheap: memory only. */
  touch(grantIds: readonly string[], action: string, at: Date): void {
    const t = at.getTime();
    const write = WRITE_ACTIONS.has(action);
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
