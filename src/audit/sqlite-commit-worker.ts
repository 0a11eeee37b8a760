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
import { SQLITE_WRITER_PRAGMAS } from '../state/open-state';

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

type Reply = { seq: number } & ({ ok: true } | { ok: false; head: Head } | { error: string } | { values: unknown[] });

// Plain JavaScript run with `eval`, so the same worker starts from the compiled build and from the
// TypeScript sources under the tests. Its connection gets the pragmas of every writing SQLite
// connection of the gateway (open-state.ts SQLITE_WRITER_PRAGMAS): WAL, busy timeout,
// synchronous=FULL (so a reply means the batch is on disk) and the page cache's size. A message with
// \`read\` instead of a job answers the connection's current values of those pragmas (readPragmas).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
for (const p of workerData.pragmas) db.pragma(p);
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
    reply = m.read ? { values: m.read.map((name) => db.pragma(name, { simple: true })) } : commit.immediate(m.job);
  } catch (e) {
    reply = { error: String((e && e.message) || e) };
  }
  parentPort.postMessage({ seq: m.seq, ...reply });
});
`;

export class SqliteCommitWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private seq = 0;
  private stopped: Error | null = null;

  constructor(file: string, sql: CommitSql) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, sql, driver: require.resolve('better-sqlite3'), pragmas: SQLITE_WRITER_PRAGMAS } });
    // Idle, the worker does not keep the process alive; a message in flight does (see send()).
    this.worker.unref();
    this.worker.on('message', (m: Reply) => {
      const w = this.waiting.get(m.seq);
      if (!w) return;
      this.waiting.delete(m.seq);
      if (this.waiting.size === 0) this.worker.unref();
      if ('error' in m) w.reject(new Error(m.error));
      else w.resolve(m);
    });
    this.worker.on('error', (e) => this.stop(e));
    this.worker.on('exit', (code) => this.stop(new Error(`the audit commit worker stopped (exit code ${code})`)));
  }

  /** False once the worker has stopped (closed, or failed outside a commit): it takes no more batches. */
  get alive(): boolean {
    return this.stopped === null;
  }

  /** Resolves once the batch is committed (or refused because the head moved); rejects if the commit failed. */
  async commit(job: CommitJob): Promise<CommitResult> {
    const m = await this.send({ job });
    if ('values' in m) throw new Error('the audit commit worker answered a commit with pragma values');
    return m.ok ? { ok: true } : { ok: false, head: m.head };
  }

  /** The worker connection's current values of the named pragmas (e.g. cache_size, synchronous). */
  async readPragmas(names: string[]): Promise<unknown[]> {
    const m = await this.send({ read: names });
    if (!('values' in m)) throw new Error('the audit commit worker did not answer with pragma values');
    return m.values;
  }

  private send(message: { job: CommitJob } | { read: string[] }): Promise<Exclude<Reply, { error: string }>> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.waiting.set(seq, { resolve: resolve as (r: Reply) => void, reject });
      this.worker.ref();
      this.worker.postMessage({ seq, ...message });
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
