// Group commit of the writes to one SQLite store. SQLite has one writer at a time, and a write may
// commit only after its audit entry is durable, so one write after another costs two fsyncs each (the
// audit commit, then the store's). Here the writes that arrive together share one store transaction:
// each runs inside a savepoint of its own (its rows all or none, its refusal its own), each records
// its audit entry without waiting, so the audit log commits them as one group; once every entry of
// the batch is durable the store commits once. Two fsyncs per batch instead of per write.
//
// The guarantees of a single write still hold for each write of a batch:
// - no acknowledged change without its durable entry: a write is answered only after the store's
//   COMMIT, which runs only after every entry of the batch is committed;
// - no entry for a change that did not commit, but for the window that a single write has too (the
//   entry is durable, then the store's COMMIT fails or the process dies): a COMMIT that fails rejects
//   every write of the batch, and the problem handler records an entry that voids each one;
// - a batch whose entries could not all be committed is rolled back whole, and each of its writes is
//   refused (503): the entries that did commit are voided the same way.
// Writes of one batch run one after another, so each sees the ones before it (guardrails included).
import type { Knex } from 'knex';
import { translateStoreError } from './translate-error';

interface Job<T> {
  work: (trx: Knex.Transaction) => Promise<T>;
  beforeCommit: (result: T) => Promise<void>;
  resolve: (result: T) => void;
  reject: (e: unknown) => void;
}

interface Done<T> {
  job: Job<T>;
  result: T;
  audited: Promise<unknown>;
}

/** Most writes in one batch: bounds what one store transaction holds and how long it stays open. */
export const MAX_BATCH = 64;

const SAVEPOINT = 'mg_write';

export class WriteBatches {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private queue: Job<any>[] = [];
  private running = false;
  /** Batches committed and the writes they carried (for tests and the benchmark). */
  readonly stats = { batches: 0, writes: 0 };

  constructor(
    private readonly knex: Knex,
    private readonly maxBatch = MAX_BATCH,
  ) {}

  /** Runs `work` in a transaction shared with concurrent writes; `beforeCommit` records its audit entry. */
  run<T>(work: (trx: Knex.Transaction) => Promise<T>, beforeCommit: (result: T) => Promise<void>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, beforeCommit, resolve, reject });
      if (this.running) return;
      this.running = true;
      // After this turn's I/O callbacks: the writes that arrive in the same turn join the batch.
      setImmediate(() => void this.drain());
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.runBatch(this.queue.splice(0, this.maxBatch));
    } finally {
      this.running = false;
    }
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async runBatch(batch: Job<any>[]): Promise<void> {
    let trx: Knex.Transaction;
    try {
      trx = await this.knex.transaction();
    } catch (e) {
      for (const job of batch) job.reject(translateStoreError(e));
      return;
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const done: Done<any>[] = [];
    let broken: unknown = null;
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i];
      try {
        await trx.raw(`SAVEPOINT ${SAVEPOINT}`);
      } catch (e) {
        broken = e;
        for (const rest of batch.slice(i)) rest.reject(translateStoreError(e));
        break;
      }
      let result: unknown;
      try {
        result = await job.work(trx);
        await trx.raw(`RELEASE ${SAVEPOINT}`);
      } catch (e) {
        job.reject(translateStoreError(e));
        try {
          await trx.raw(`ROLLBACK TO ${SAVEPOINT}`);
          await trx.raw(`RELEASE ${SAVEPOINT}`);
          continue;
        } catch (e1) {
          // SQLite rolled the whole transaction back (disk full, I/O error): nothing of the batch stands.
          broken = e1;
          for (const rest of batch.slice(i + 1)) rest.reject(translateStoreError(e1));
          break;
        }
      }
      // Not awaited: the entries of the whole batch go to the audit log together (its group commit).
      const audited = job.beforeCommit(result);
      audited.catch(() => undefined);
      done.push({ job, result, audited });
    }
    const outcomes = await Promise.allSettled(done.map((d) => d.audited));
    const auditFailure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (broken !== null || auditFailure) {
      await trx.rollback().catch(() => undefined);
      done.forEach((d, i) => {
        const o = outcomes[i];
        d.job.reject(o.status === 'rejected' ? o.reason : broken !== null ? translateStoreError(broken) : auditFailure!.reason);
      });
      return;
    }
    try {
      await trx.commit();
      // knex resolves commit() even when COMMIT fails; the failure surfaces here.
      await trx.executionPromise;
    } catch (e) {
      const err = translateStoreError(e);
      for (const d of done) d.job.reject(err);
      return;
    }
    this.stats.batches++;
    this.stats.writes += done.length;
    for (const d of done) d.job.resolve(d.result);
  }
}
