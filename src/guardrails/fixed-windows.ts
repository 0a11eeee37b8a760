// Counters per key (a client address, a subject) over fixed windows of time, in memory and bounded:
// the table holds at most `max` keys, so a spray of new keys costs a flat amount of memory and O(1)
// per key. When it is full the oldest window is dropped (windows are kept in the order they opened,
// so that is the one that ends first). Every window that leaves the table (ended, evicted or
// drained) is handed to `ended`, so nothing counted in it is lost.

export interface Window {
  /** When the window opened and when it ends (ms since the epoch). */
  start: number;
  until: number;
}

export class FixedWindows<W extends Window> {
  private readonly windows = new Map<string, W>();

  constructor(
    private readonly max: number,
    private readonly ended: (key: string, w: W) => void = () => {},
  ) {}

  /** The key's window in force at `now`, if any; an ended one leaves the table. */
  current(key: string, now: number): W | undefined {
    const w = this.windows.get(key);
    if (w && now >= w.until) {
      this.windows.delete(key);
      this.ended(key, w);
      return undefined;
    }
    return w;
  }

  /** The key's window in force at `now`, opened with `open(now)` when there is none. */
  open(key: string, now: number, open: (now: number) => W): W {
    const existing = this.current(key, now);
    if (existing) return existing;
    if (this.windows.size >= this.max) this.makeRoom();
    const w = open(now);
    this.windows.set(key, w);
    return w;
  }

  /** Drops every window that has ended by `now`. O(keys): call it when something is due, not per request. */
  sweep(now: number): void {
    for (const [key, w] of this.windows) {
      if (now >= w.until) {
        this.windows.delete(key);
        this.ended(key, w);
      }
    }
  }

  /** Hands every window to `ended` and empties the table (at close). */
  drain(): void {
    for (const [key, w] of this.windows) this.ended(key, w);
    this.windows.clear();
  }

  values(): IterableIterator<W> {
    return this.windows.values();
  }

  get size(): number {
    return this.windows.size;
  }

  private makeRoom(): void {
    // Map keeps insertion order: the first key is the oldest window.
    while (this.windows.size >= this.max) {
      const [key, w] = this.windows.entries().next().value!;
      this.windows.delete(key);
      this.ended(key, w);
    }
  }
}

/** Whole seconds until the window ends, at least 1 (for Retry-After). */
export const secondsLeft = (w: Window, now: number): number => Math.max(1, Math.ceil((w.until - now) / 1000));
