// Appends audit entries to the hash chain in the state store. Requests wait for their entry to be
// committed (fail closed). Entries recorded within one event-loop turn, and those that arrive while
// a commit is under way, are committed together in one transaction (group commit: the flush waits
// for setImmediate), so durability costs one commit per batch, not per request.
import type { Knex } from 'knex';
import type { Dialect } from '../state/open-state';
import { toRow, type AuditInput } from './audit-entry';

interface Pending {
  entry: AuditInput;
  resolve: (id: number) => void;
  reject: (e: Error) => void;
}

export class AuditLog {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** Group commits done and entries they carried (for tests and metrics). */
  readonly stats = { commits: 0, entries: 0 };

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly maxBatch = 512,
    /** Signs the new chain head after each append (see signing-key.ts); the head stays unsigned without it. */
    private readonly signHead?: (lastId: number, lastHash: string) => string,
  ) {}

  /** Resolves with the entry's id once it is durably committed; rejects if the audit store fails. */
  record(entry: AuditInput): Promise<number> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      // The first entry of a turn schedules the flush after the turn's I/O callbacks, so every
      // request answered in the same turn joins the same batch.
      if (!this.flushing) this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.drain());
    });
  }

  /** Appends inside the caller's state-store transaction, so the entry commits with the change it records. */
  async recordIn(trx: Knex.Transaction, entry: AuditInput): Promise<number> {
    const [id] = await this.appendBatch(trx, [entry]);
    return id;
  }

  /** Waits for every queued entry to be committed (used at shutdown). */
  async drained(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const ids = await this.knex.transaction((trx) => this.appendBatch(trx, batch.map((p) => p.entry)));
          this.stats.commits++;
          this.stats.entries += batch.length;
          batch.forEach((p, i) => p.resolve(ids[i]));
        } catch (e) {
          for (const p of batch) p.reject(e as Error);
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  private async appendBatch(trx: Knex.Transaction, entries: AuditInput[]): Promise<number[]> {
    // Lock the chain head before reading it: FOR UPDATE on PostgreSQL; on SQLite a no-op write
    // takes the database write lock first, so another process cannot append between read and write.
    if (this.dialect === 'sqlite') await trx('mg_audit_head').where({ id: 1 }).update({ id: 1 });
    const headQuery = trx('mg_audit_head').where({ id: 1 }).first('last_id', 'last_hash');
    const head = await (this.dialect === 'postgres' ? headQuery.forUpdate() : headQuery);
    if (!head) throw new Error('audit chain head is missing');
    let lastId = Number(head.last_id);
    let lastHash: string = head.last_hash;
    const rows = entries.map((e) => {
      const row = toRow(++lastId, e, lastHash);
      lastHash = row.hash;
      return row;
    });
    // Chunked so a large batch stays under the drivers' bound-parameter limits.
    for (let i = 0; i < rows.length; i += 50) await trx('mg_audit').insert(rows.slice(i, i + 50));
    await trx('mg_audit_head').where({ id: 1 }).update({ last_id: lastId, last_hash: lastHash, head_sig: this.signHead?.(lastId, lastHash) ?? null });
    return rows.map((r) => r.id);
  }
}
