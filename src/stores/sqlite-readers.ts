// Read connections of one SQLite store, for streamed reads. A read that streams its answer holds its
// statement open across event-loop turns (it waits for the client's socket to drain), and a
// better-sqlite3 connection with an open iterator can run nothing else: so streamed reads get
// connections of their own (WAL: each sees a consistent snapshot and never blocks the writer), and
// the knex connection stays free for writes. Opened on first use, at most `max` at once; further
// reads wait for one to be released.
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { SQLITE_PRAGMAS } from '../state/open-state';

export class SqliteReaders {
  private readonly idle: BetterSqlite3.Database[] = [];
  private readonly waiting: ((db: BetterSqlite3.Database) => void)[] = [];
  private open = 0;
  private closed = false;
  private drainedWaiter: (() => void) | null = null;

  constructor(
    private readonly file: string,
    private readonly max = 4,
  ) {}

  async acquire(): Promise<BetterSqlite3.Database> {
    if (this.closed) throw new Error('the store is closed');
    const db = this.idle.pop();
    if (db) return db;
    if (this.open < this.max) {
      this.open++;
      try {
        const conn = new Database(this.file, { fileMustExist: true });
        for (const p of SQLITE_PRAGMAS) conn.pragma(p);
        conn.pragma('query_only = true');
        return conn;
      } catch (e) {
        this.open--;
        throw e;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(db: BetterSqlite3.Database): void {
    const next = this.waiting.shift();
    if (next) return next(db);
    if (this.closed) {
      db.close();
      this.open--;
      if (this.open === 0) this.drainedWaiter?.();
      return;
    }
    this.idle.push(db);
  }

  /** Closes idle connections now and the others as their reads end. */
  async close(): Promise<void> {
    this.closed = true;
    for (const db of this.idle.splice(0)) {
      db.close();
      this.open--;
    }
    if (this.open > 0) await new Promise<void>((resolve) => (this.drainedWaiter = resolve));
  }
}
