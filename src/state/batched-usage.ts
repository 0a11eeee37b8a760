// "When was this last used" for things every request touches (grants, Delta Sharing recipients): a
// write to the state store per request would slow every request (on SQLite, an fsync each), so uses
// are collected in memory, merged per id, and written in one batch every few seconds
// (MESHGUARD_USAGE_FLUSH_MS), before anything that lists them answers, and at close. Losing a few
// seconds of usage on a crash only makes something look slightly less recently used.
import type pino from 'pino';

export class BatchedUsage<V> {
  private pending = new Map<string, V>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    /** Writes one batch (one transaction); idempotent for a batch written twice. */
    private readonly write: (batch: Map<string, V>) => Promise<void>,
    /** The use to keep when an id was used again before the batch was written. */
    private readonly merge: (earlier: V, later: V) => V,
    private readonly flushMs: number,
    private readonly logger: pino.Logger,
    private readonly what: string,
  ) {}

  /** Notes a use of `id`. Cheap: memory only. */
  note(id: string, use: V): void {
    const earlier = this.pending.get(id);
    this.pending.set(id, earlier === undefined ? use : this.merge(earlier, use));
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
      if (batch.size === 0) return;
      try {
        await this.write(batch);
      } catch (e) {
        // Usage is advisory: keep it for the next flush rather than fail a request.
        this.logger.warn({ err: e }, `${this.what} usage flush failed; will retry`);
        for (const [id, u] of batch) {
          const later = this.pending.get(id);
          this.pending.set(id, later === undefined ? u : this.merge(u, later));
        }
      }
    });
    return this.flushing;
  }
}
