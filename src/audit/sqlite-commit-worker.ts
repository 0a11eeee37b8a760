// Commits audit batches to the SQLite state store from a worker thread. better-sqlite3 is
// synchronous, so a COMMIT with synchronous=FULL (an fsync, 0.3 to 5 ms) on the main thread stops
// every other request for that long; in the worker the main thread keeps serving while the fsync
// runs, and the entries that arrive meanwhile form the next batch. The worker only runs SQL that knex
// built on the main thread; the chain hashes and the head signature are computed there too
// (audit-log.ts). A batch is written only if the head is still the one its hashes were chained onto
// (checked inside BEGIN IMMEDIATE, which holds the write lock): otherwise another writer (a grant
// change in this process, another process) appended first, and the worker answers with the head it
// found so the batch can be chained again.
import { Worker } from 'node:worker_threads';
import { SQLITE_CACHE_PRAGMA } from '../state/open-state';

export interface Head {
  lastId: number;
  lastHash: string;
}

export interface CommitSql {
  readHead: string;
  readHeadValues: unknown[];
  insert: string;
  setHead: string;
}

export interface CommitJob {
  /** The head the rows were chained onto; null asks only for the current head. */
  expect: Head | null;
  rows: unknown[][];
  setHead: unknown[];
}

export type CommitResult = { ok: true } | { ok: false; head: Head };

type Reply = { seq: number } & ({ ok: true } | { ok: false; head: Head } | { error: string });

// Plain JavaScript run with `eval`, so the same worker starts from the compiled build and from the
// TypeScript sources under the tests. Its connection gets the pragmas of every state connection
// (open-state.ts): WAL, busy timeout, synchronous=FULL (so a reply means the batch is on disk) and
// the page cache's size.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = FULL');
db.pragma(workerData.cachePragma);
const readHead = db.prepare(workerData.sql.readHead);
const insert = db.prepare(workerData.sql.insert);
const setHead = db.prepare(workerData.sql.setHead);
const commit = db.transaction((job) => {
  const h = readHead.get(workerData.sql.readHeadValues);
  if (!h) throw new Error('audit chain head is missing');
  const head = { lastId: Number(h.last_id), lastHash: h.last_hash };
  if (!job.expect || job.expect.lastId !== head.lastId || job.expect.lastHash !== head.lastHash) return { ok: false, head };
  for (const values of job.rows) insert.run(values);
  setHead.run(job.setHead);
  return { ok: true };
});
parentPort.on('message', (m) => {
  let reply;
  try {
    reply = commit.immediate(m.job);
  } catch (e) {
    reply = { error: String((e && e.message) || e) };
  }
  parentPort.postMessage({ seq: m.seq, ...reply });
});
`;

export class SqliteCommitWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (r: CommitResult) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private stopped: Error | null = null;

  constructor(file: string, sql: CommitSql) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, sql, driver: require.resolve('better-sqlite3'), cachePragma: SQLITE_CACHE_PRAGMA } });
    // Idle, the worker does not keep the process alive; a commit in flight does (see commit()).
    this.worker.unref();
    this.worker.on('message', (m: Reply) => {
      const w = this.waiting.get(m.seq);
      if (!w) return;
      this.waiting.delete(m.seq);
      if (this.waiting.size === 0) this.worker.unref();
      if ('error' in m) w.reject(new Error(m.error));
      else w.resolve(m.ok ? { ok: true } : { ok: false, head: m.head });
    });
    this.worker.on('error', (e) => this.stop(e));
    this.worker.on('exit', (code) => this.stop(new Error(`the audit commit worker stopped (exit code ${code})`)));
  }

  /** False once the worker has stopped (closed, or failed outside a commit): it takes no more batches. */
  get alive(): boolean {
    return this.stopped === null;
  }

  /** Resolves once the batch is committed (or refused because the head moved); rejects if the commit failed. */
  commit(job: CommitJob): Promise<CommitResult> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.waiting.set(seq, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ seq, job });
    });
  }

  async close(): Promise<void> {
    this.stop(new Error('the audit log is closed'));
    await this.worker.terminate();
  }

  /** Fail closed: every commit waiting, and every later one, is rejected. */
  private stop(e: Error): void {
    this.stopped ??= e;
    for (const w of this.waiting.values()) w.reject(this.stopped);
    this.waiting.clear();
  }
}
