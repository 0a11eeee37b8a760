// The version counters that invalidate every in-process cache of access state: grants, token
// revocations, suspensions. Each change bumps its counter in the same transaction, so one cheap query
// per request (all three counters at once) tells every process sharing the state store what changed.
// On PostgreSQL a bump also notifies the state's change channel, and a replica whose change listener
// is confirmed fresh skips the query while nothing changed (state/change-feed.ts says why that is safe).
import type { Knex } from 'knex';
import { heldQuery, onSqliteConnection } from '../state/held-statements';
import type { StateDb } from '../state/open-state';
import { NOTIFY_CHANGE_SQL, notifyChangeBindings, type ChangeFeed } from '../state/change-feed';

export const COUNTERS = ['grants_version', 'revocations_version', 'suspensions_version'] as const;
export type Counter = (typeof COUNTERS)[number];
export type Versions = Record<Counter, number>;

type CounterRow = { name: Counter; value: number | string };

const countersQuery = (knex: Knex) => knex('mg_counters').whereIn('name', [...COUNTERS]).select('name', 'value');

function toVersions(rows: CounterRow[]): Versions {
  const out = { grants_version: 0, revocations_version: 0, suspensions_version: 0 };
  for (const r of rows) out[r.name] = Number(r.value);
  return out;
}

export async function readVersions(state: StateDb): Promise<Versions> {
  if (state.dialect === 'sqlite') {
    return onSqliteConnection(state.knex, (db) => {
      const q = heldQuery(db, 'counters', () => countersQuery(state.knex));
      return toVersions(q.stmt.all(q.values({})) as CounterRow[]);
    });
  }
  return toVersions(await countersQuery(state.knex));
}

/**
 * Reads the counters once for all the requests that ask within one event-loop turn. The read is
 * issued after the turn's I/O callbacks (setImmediate), and a request joins only a read that has not
 * started yet: every sharer asked before the query ran, so any change committed (and acknowledged to
 * its caller) before a sharer arrived is committed before the query runs, and the sharer sees it.
 * A request arriving once the query has started waits for the next read.
 */
export class VersionReader {
  private next: Promise<Versions> | null = null;
  /** The current turn's end, for requests the change feed lets skip the read. */
  private turn: Promise<void> | null = null;
  /** The counters last read, and the change feed's generation when that read started. */
  private known: { generation: number; versions: Promise<Versions> } | null = null;
  /** Counter queries run (for tests and the bench: round trips per request). */
  readonly stats = { queries: 0, skipped: 0 };

  constructor(
    private readonly state: StateDb,
    private readonly feed?: ChangeFeed,
  ) {}

  read(): Promise<Versions> {
    const known = this.known;
    if (known && this.feed?.fresh(known.generation)) {
      this.stats.skipped++;
      // Answered after the turn's I/O callbacks, as a read would be: the requests of a turn then go on
      // together (measured: the gateway spends less CPU per request so, see docs/performance.md).
      // Fresh was decided when the request arrived, so waiting does not make the answer staler.
      this.turn ??= new Promise<void>((r) => setImmediate(r)).then(() => {
        this.turn = null;
      });
      return this.turn.then(() => known.versions);
    }
    if (!this.next) {
      this.next = new Promise<void>((r) => setImmediate(r)).then(async () => {
        this.next = null; // from here on, new arrivals wait for a read that starts after them
        // A change notified after this point bumps the generation, so what this read returns is
        // never taken for fresher than the read itself.
        const generation = this.feed?.generation;
        this.stats.queries++;
        const versions = await readVersions(this.state);
        if (generation !== undefined) this.known = { generation, versions: Promise.resolve(versions) };
        return versions;
      });
    }
    return this.next;
  }
}

export async function bumpVersion(trx: Knex.Transaction, name: Counter): Promise<void> {
  await trx('mg_counters').where({ name }).increment('value', 1);
  if (trx.client.config.client === 'pg') await trx.raw(NOTIFY_CHANGE_SQL, notifyChangeBindings(name));
}
