// Appends audit entries to the hash chain in the state store. Requests wait for their entry to be
// committed (fail closed). Entries recorded within one event-loop turn, and those that arrive while
// a commit is under way, are committed together in one transaction (group commit: the flush waits
// for setImmediate), so durability costs one commit per batch, not per request. On SQLite the gateway
// commits from a worker thread (sqlite-commit-worker.ts), so the fsync of each commit does not stop
// the event loop; without a worker (the CLI) the batch is appended with statements held prepared on
// the connection, in one synchronous BEGIN IMMEDIATE ... COMMIT. Either way synchronous=FULL: the
// commit is on disk before any waiting request is answered.
// A group commit that fails is retried entry by entry, so one entry the store refuses fails only its
// own request. A row planted beyond the signed head (which would make every append collide with it)
// fails every append with a 503 naming the broken chain. After commits the witness (audit-witness.ts)
// is brought up to the committed head, off the request path.
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import { fail, GatewayError } from '../errors';
import { heldQuery, onSqliteConnection, param, sqlTemplate, type SqlTemplate } from '../state/held-statements';
import type { Dialect } from '../state/open-state';
import { AUDIT_ROW_FIELDS, toRow, type AuditInput, type AuditRow } from './audit-entry';
import { readHead, type AuditWitness } from './audit-witness';
import { GENESIS_HASH } from './verify-chain';
import { SqliteCommitWorker, type Head } from './sqlite-commit-worker';
import { appendAt, appendLocked, onPostgresConnection, type Batch } from './postgres-append';


/** Times a worker batch is chained again because another writer moved the head first. */
const MAX_RECHAIN = 20;

interface Pending {
  entry: AuditInput;
  resolve: (id: number) => void;
  reject: (e: Error) => void;
}

export class AuditLog {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  /** Group commits done and entries they carried; on PostgreSQL, batches whose guess of the head another
   *  replica had moved, and batches that locked the head first (tests, the bench). */
  readonly stats = { commits: 0, entries: 0, rechains: 0, locked: 0 };
  /** Told of each group commit: how many entries, and how long it took (the metrics listen here). */
  onCommit?: (entries: number, seconds: number) => void;
  private worker: SqliteCommitWorker | null = null;
  /** The head after this process's last commit: a guess the worker (or PostgreSQL) checks, never trusted. */
  private head: Head | null = null;
  /** PostgreSQL: another replica moved the head since this process's last batch (see appendPostgres). */
  private contended = false;
  private closed = false;
  private templates?: { insert: SqlTemplate; setHead: SqlTemplate };

  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly maxBatch = 512,
    /** Signs the new chain head after each append (see signing-key.ts); the head stays unsigned without it. */
    private readonly signHead?: (lastId: number, lastHash: string) => string,
    /** The SQLite state file: given, group commits run in a worker thread (started on first use). */
    private readonly sqliteFile?: string,
    /** Raised to the committed head after commits (the gateway's; the CLI's prune leaves it to the gateway). */
    private readonly witness?: AuditWitness,
  ) {}

  /** Signs the genesis head of a new state store, so an empty log is vouched for like any other; a
   *  head reset to genesis after entries were written (the witness has seen more) is left unsigned. */
  async signGenesis(): Promise<void> {
    if (!this.signHead) return;
    const head = await readHead(this.knex);
    if (!head || head.lastId !== 0 || head.lastHash !== GENESIS_HASH || head.sig !== null || (this.witness && this.witness.lastId > 0)) return;
    if (await this.knex('mg_audit').first('id')) return; // rows with an empty head: not a new store
    if (await this.knex('mg_audit_checkpoints').first('id')) return;
    await this.knex('mg_audit_head').where({ id: 1, last_id: 0 }).whereNull('head_sig').update({ head_sig: this.signHead(0, GENESIS_HASH) });
  }

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
    if (this.witness) trx.executionPromise.then(() => this.witness?.touch(), () => undefined);
    return id;
  }

  /**
   * Whether an append could go through now (/readyz): the log is open, the chain head can be locked
   * for writing and no row sits beyond it. The probe's transaction is rolled back, so it writes nothing.
   */
  async probeWritable(): Promise<void> {
    if (this.closed) throw new Error('the audit log is closed');
    const rollback = new Error('probe');
    try {
      await this.knex.transaction(async (trx) => {
        if (this.dialect === 'sqlite') await trx('mg_audit_head').where({ id: 1 }).update({ id: 1 });
        const q = trx('mg_audit_head').where({ id: 1 }).first('last_id');
        const head = await (this.dialect === 'postgres' ? q.forUpdate() : q);
        if (!head) throw new Error('the audit chain head is missing');
        const beyond = await trx('mg_audit').where('id', '>', Number(head.last_id)).min({ id: 'id' }).first();
        if (beyond?.id !== null && beyond?.id !== undefined) throw this.brokenAt(Number(beyond.id), Number(head.last_id));
        throw rollback;
      });
    } catch (e) {
      if (e !== rollback) throw e;
    }
  }

  /** Waits for every queued entry to be committed (used at shutdown). */
  async drained(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Drains the queue, then stops the commit worker; later entries are refused (fail closed). */
  async close(): Promise<void> {
    await this.drained();
    this.closed = true;
    await this.witness?.close();
    await this.worker?.close();
    this.worker = null;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const ids = await this.commit(batch.map((p) => p.entry));
          batch.forEach((p, i) => p.resolve(ids[i]));
        } catch (e) {
          const broken = this.closed ? undefined : await this.chainBroken(e);
          if (broken || this.closed || batch.length === 1) {
            for (const p of batch) p.reject(broken ?? (e as Error));
            continue;
          }
          // One entry the store refuses must not fail the requests that shared its commit.
          for (const p of batch) {
            try {
              const [id] = await this.commit([p.entry]);
              p.resolve(id);
            } catch (e1) {
              p.reject(e1 as Error);
            }
          }
        }
      }
    } finally {
      this.flushing = null;
    }
  }

  /** Appends `entries` as one group commit; resolves with their ids once committed. */
  private async commit(entries: AuditInput[]): Promise<number[]> {
    if (this.closed) throw new Error('the audit log is closed');
    const started = this.onCommit && process.hrtime.bigint();
    const ids =
      this.dialect === 'postgres'
        ? await this.appendPostgres(entries)
        : this.sqliteFile
          ? await this.appendInWorker(entries)
          : await onSqliteConnection(this.knex, (db) => this.appendSqlite(db, entries));
    this.stats.commits++;
    this.stats.entries += entries.length;
    if (started) this.onCommit!(entries.length, Number(process.hrtime.bigint() - started) / 1e9);
    this.witness?.touch();
    return ids;
  }

  /** The 503 for a chain that cannot be appended to: a row sits beyond the signed head. */
  private brokenAt(id: number, headId: number, cause?: unknown): GatewayError {
    return fail('audit_unavailable', `the audit chain is broken at id ${id} (a row beyond the signed head ${headId}); nothing is served until an operator runs audit-verify and repairs the log`, {}, cause);
  }

  /** After a failed append: that 503 if a row beyond the head is why, else undefined. */
  private async chainBroken(e: unknown): Promise<GatewayError | undefined> {
    if (e instanceof GatewayError) return e;
    try {
      const head = await readHead(this.knex);
      const beyond = head && (await this.knex('mg_audit').where('id', '>', head.lastId).min({ id: 'id' }).first());
      return head && beyond?.id !== null && beyond?.id !== undefined ? this.brokenAt(Number(beyond.id), head.lastId, e) : undefined;
    } catch {
      return undefined; // the store cannot even be read: the append's own error says enough
    }
  }

  private async appendBatch(trx: Knex.Transaction, entries: AuditInput[]): Promise<number[]> {
    // Lock the chain head before reading it: FOR UPDATE on PostgreSQL; on SQLite a no-op write
    // takes the database write lock first, so another process cannot append between read and write.
    if (this.dialect === 'sqlite') await trx('mg_audit_head').where({ id: 1 }).update({ id: 1 });
    const headQuery = trx('mg_audit_head').where({ id: 1 }).first('last_id', 'last_hash');
    const head = await (this.dialect === 'postgres' ? headQuery.forUpdate() : headQuery);
    if (!head) throw new Error('audit chain head is missing');
    // A row already at an id about to be appended: checked first, since after a failed insert the
    // transaction (the caller's, for recordIn) can read no more.
    const lastId = Number(head.last_id);
    const beyond = await trx('mg_audit').where('id', '>', lastId).andWhere('id', '<=', lastId + entries.length).min({ id: 'id' }).first();
    if (beyond?.id !== null && beyond?.id !== undefined) throw this.brokenAt(Number(beyond.id), lastId);
    const { rows, next } = this.chain({ lastId, lastHash: head.last_hash }, entries);
    // Chunked so a large batch stays under the drivers' bound-parameter limits.
    for (let i = 0; i < rows.length; i += 50) await trx('mg_audit').insert(rows.slice(i, i + 50));
    await trx('mg_audit_head').where({ id: 1 }).update({ last_id: next.lastId, last_hash: next.lastHash, head_sig: this.signHead?.(next.lastId, next.lastHash) ?? null });
    return rows.map((r) => r.id);
  }

  /** appendBatch in one round trip (postgres-append.ts) while this process guesses the head right; once
   *  another replica moved it, batches lock the head first, until one finds it where this process left it. */
  private async appendPostgres(entries: AuditInput[]): Promise<number[]> {
    const build = (head: Head): Batch => {
      const { rows, next } = this.chain(head, entries);
      return { rows, next, sig: this.signHead?.(next.lastId, next.lastHash) ?? null };
    };
    const guess = this.head;
    this.head = null;
    return onPostgresConnection(this.knex, async (conn) => {
      if (guess && !this.contended) {
        const b = build(guess);
        if (await appendAt(conn, guess, b)) {
          this.head = b.next;
          return b.rows.map((r) => r.id);
        }
        this.stats.rechains++;
        this.contended = true;
      }
      this.stats.locked++;
      const { batch, found } = await appendLocked(conn, build);
      // Nobody else appended since this process's last batch: guessing is worth it again.
      this.contended = !(guess && found.lastId === guess.lastId && found.lastHash === guess.lastHash);
      this.head = batch.next;
      return batch.rows.map((r) => r.id);
    });
  }

  /** The same append as appendBatch, on SQLite, synchronously in one IMMEDIATE transaction (which
   *  takes the database write lock first, so no other process appends between head read and write). */
  private appendSqlite(db: BetterSqlite3.Database, entries: AuditInput[]): number[] {
    const readHead = heldQuery(db, 'audit:head', () => this.knex('mg_audit_head').where({ id: 1 }).first('last_id', 'last_hash'));
    const insert = heldQuery(db, 'audit:insert', () => this.insertQuery());
    const setHead = heldQuery(db, 'audit:set-head', () => this.setHeadQuery());
    const append = db.transaction((): number[] => {
      const head = readHead.stmt.get(readHead.values({})) as { last_id: number; last_hash: string } | undefined;
      if (!head) throw new Error('audit chain head is missing');
      const { rows, next } = this.chain({ lastId: Number(head.last_id), lastHash: head.last_hash }, entries);
      for (const row of rows) insert.stmt.run(insert.values(row as unknown as Record<string, unknown>));
      setHead.stmt.run(setHead.values({ last_id: next.lastId, last_hash: next.lastHash, head_sig: this.signHead?.(next.lastId, next.lastHash) ?? null }));
      return rows.map((r) => r.id);
    });
    return append.immediate();
  }

  private async appendInWorker(entries: AuditInput[]): Promise<number[]> {
    this.templates ??= { insert: sqlTemplate(this.insertQuery()), setHead: sqlTemplate(this.setHeadQuery()) };
    const { insert, setHead } = this.templates;
    if (!this.worker) {
      const readHead = sqlTemplate(this.knex('mg_audit_head').where({ id: 1 }).first('last_id', 'last_hash'));
      this.worker = new SqliteCommitWorker(this.sqliteFile!, { readHead: readHead.sql, readHeadValues: readHead.values({}), insert: insert.sql, setHead: setHead.sql });
    }
    try {
      for (let attempt = 0; attempt <= MAX_RECHAIN; attempt++) {
        const expect = this.head;
        const { rows, next } = expect ? this.chain(expect, entries) : { rows: [], next: null };
        const r = await this.worker.commit({
          expect,
          rows: rows.map((row) => insert.values(row as unknown as Record<string, unknown>)),
          setHead: next ? setHead.values({ last_id: next.lastId, last_hash: next.lastHash, head_sig: this.signHead?.(next.lastId, next.lastHash) ?? null }) : [],
        });
        if (r.ok) {
          this.head = next;
          return rows.map((row) => row.id);
        }
        this.head = r.head;
      }
      throw new Error(`the audit chain head kept moving: ${MAX_RECHAIN} attempts to append failed`);
    } catch (e) {
      this.head = null;
      // A worker that died fails this batch (fail closed); the next batch starts a new one.
      if (this.worker && !this.worker.alive) {
        void this.worker.close();
        this.worker = null;
      }
      throw e;
    }
  }

  private insertQuery(): Knex.QueryBuilder {
    return this.knex('mg_audit').insert(Object.fromEntries(AUDIT_ROW_FIELDS.map((f) => [f, param(f)])));
  }

  private setHeadQuery(): Knex.QueryBuilder {
    return this.knex('mg_audit_head').where({ id: 1 }).update({ last_id: param('last_id'), last_hash: param('last_hash'), head_sig: param('head_sig') });
  }

  /** The entries as rows chained onto `head`, and the new head. */
  private chain(head: Head, entries: AuditInput[]): { rows: AuditRow[]; next: Head } {
    let { lastId, lastHash } = head;
    const rows = entries.map((e) => {
      const row = toRow(++lastId, e, lastHash);
      lastHash = row.hash;
      return row;
    });
    return { rows, next: { lastId, lastHash } };
  }
}
