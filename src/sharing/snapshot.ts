// A shared table's snapshot: its governed rows (the share's ability through the one planner and the
// one read executor, masking applied there) written as one Parquet file in the data dir, a batch at
// a time, named by the SHA-256 of its bytes. Same content, same file and same id, so the protocol's
// file id is stable; new content gets the table's next version (share-store.ts). A query with a
// usable jsonPredicateHints also writes the hinted rows' file in the same pass. A file is kept while a
// URL issued for it may still be used (its mtime is the last issue) and removed after.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AppDeps } from '../app-deps';
import { fail } from '../errors';
import { answerColumns } from '../http/answer-formats';
import { parquetRows } from '../http/encoders/parquet';
import { BATCH_CHARS, BATCH_ROWS } from '../http/send-rows';
import type { DatasetInfo } from '../policy/load-policies';
import { planRead, type ReadPlan } from '../query/plan-read';
import { ALL_ROWS } from '../query/query-spec';
import { openRead } from '../stores/execute-read';
import { ensurePrivateDir } from '../state/private-files';
import { FILE_URL_TTL_MS } from './file-url';
import type { RowTest } from './json-predicate';
import { shareTableAbility } from './share-ability';
import type { TableVersion } from './share-store';
import type { Share, ShareTable } from './share-types';

/** The largest snapshot file: a table past it is refused (narrow the share's rows or columns). */
export const MAX_SNAPSHOT_BYTES = 1024 * 1024 * 1024;
/** A file no URL has been issued for in this long is removed. */
export const KEEP_FILE_MS = FILE_URL_TTL_MS + 60_000;

export interface SnapshotFile {
  fileHash: string;
  size: number;
  rows: number;
}

export interface Snapshot {
  plan: ReadPlan;
  /** The whole shared table, and its version. */
  table: TableVersion;
  /** The file to hand out: the hinted rows' when a hint applied, else the whole table's. */
  file: SnapshotFile;
  hinted: boolean;
}

export const snapshotDir = (dataDir: string) => path.join(dataDir, 'shares');
export const snapshotPath = (dataDir: string, fileHash: string) => path.join(snapshotDir(dataDir), `${fileHash}.parquet`);

/** A Parquet file written a chunk at a time, hashed as it goes. */
class FileSink {
  private readonly hash = crypto.createHash('sha256');
  readonly tmp: string;
  private fd: number;
  size = 0;
  rows = 0;

  constructor(private readonly dir: string) {
    this.tmp = path.join(dir, `tmp-${crypto.randomUUID()}`);
    this.fd = fs.openSync(this.tmp, 'wx', 0o600);
  }

  write(chunk: string | Uint8Array): void {
    if (chunk.length === 0) return;
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.size += bytes.byteLength;
    if (this.size > MAX_SNAPSHOT_BYTES) throw fail('snapshot_too_large', `the shared table would be larger than ${MAX_SNAPSHOT_BYTES} bytes; share fewer rows or columns`);
    this.hash.update(bytes);
    fs.writeSync(this.fd, bytes);
  }

  /** Closes the file and moves it to its content-addressed name (or drops it if that file exists). */
  finish(now: Date): SnapshotFile {
    fs.closeSync(this.fd);
    this.fd = -1;
    const fileHash = this.hash.digest('hex');
    const dest = path.join(this.dir, `${fileHash}.parquet`);
    if (fs.existsSync(dest)) fs.rmSync(this.tmp);
    else fs.renameSync(this.tmp, dest);
    fs.utimesSync(dest, now, now);
    return { fileHash, size: this.size, rows: this.rows };
  }

  discard(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    fs.rmSync(this.tmp, { force: true });
  }
}

/** Removes files (and unfinished temporary files) no URL issued in the last KEEP_FILE_MS can name. */
export function pruneSnapshots(dataDir: string, now: Date): void {
  const dir = snapshotDir(dataDir);
  for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const p = path.join(dir, f);
    try {
      if (fs.statSync(p).mtimeMs < now.getTime() - KEEP_FILE_MS) fs.rmSync(p, { force: true });
    } catch {
      // removed meanwhile by another request: nothing to do
    }
  }
}

/** Snapshots read from their store, and requests that shared one already being taken (tests, metrics). */
export const snapshotCounts = { taken: 0, shared: 0 };

// Whole-table snapshots being taken, per dataset definition (a policy reload makes new ones) and by
// what decides their content (the share's name and the table's definition). A request that arrives
// while one is being taken shares it instead of reading and encoding the whole table again: a
// recipient polling the version from many threads costs one read at a time, not one per request.
// Its answer is then as of a moment shortly before it arrived, never after; one that arrives after a
// snapshot finished takes a new one. A hinted query writes a file of its own, so it never shares.
const inFlight = new WeakMap<DatasetInfo, Map<string, Promise<Snapshot>>>();

/** The shared table's snapshot (and the hinted rows' file, given a hint): see readSnapshot. */
export function takeSnapshot(deps: AppDeps, share: Share, table: ShareTable, ds: DatasetInfo, hint?: RowTest): Promise<Snapshot> {
  if (hint) return readSnapshot(deps, share, table, ds, hint);
  let byDefinition = inFlight.get(ds);
  if (!byDefinition) inFlight.set(ds, (byDefinition = new Map()));
  const key = JSON.stringify([share.id, share.name, table]);
  const running = byDefinition.get(key);
  if (running) {
    snapshotCounts.shared++;
    return running;
  }
  const taking = readSnapshot(deps, share, table, ds).finally(() => byDefinition.delete(key));
  byDefinition.set(key, taking);
  return taking;
}

/** Reads the shared table once and writes its snapshot (and the hinted rows' file, given a hint). */
async function readSnapshot(deps: AppDeps, share: Share, table: ShareTable, ds: DatasetInfo, hint?: RowTest): Promise<Snapshot> {
  snapshotCounts.taken++;
  const store = deps.stores.get(ds.store)!;
  const plan = planRead(shareTableAbility(share, table, ds), ds, { filters: [], order: [], limit: ALL_ROWS, offset: 0 }, store.dialect);
  const dir = snapshotDir(deps.config.dataDir);
  ensurePrivateDir(dir);
  const now = deps.clock.now();
  pruneSnapshots(deps.config.dataDir, now);
  const columns = answerColumns(plan);
  const sinks = [{ sink: new FileSink(dir), encoder: parquetRows(columns), test: undefined as RowTest | undefined }];
  if (hint) sinks.push({ sink: new FileSink(dir), encoder: parquetRows(columns), test: hint });
  const cursor = openRead(store, plan, deps.mask);
  try {
    for (const s of sinks) s.sink.write(s.encoder.begin(cursor.columns));
    while (!cursor.done) {
      const batch = await cursor.read(BATCH_ROWS, BATCH_CHARS);
      for (const s of sinks) {
        for (const row of batch) {
          if (s.test && !s.test(row)) continue;
          s.encoder.row(row, s.sink.rows++);
        }
        s.sink.write(s.encoder.flush!());
      }
    }
    for (const s of sinks) s.sink.write(s.encoder.end());
    const [whole, hinted] = sinks.map((s) => s.sink.finish(now));
    const version = await deps.shares.recordVersion(share.id, table.id, whole, now);
    return { plan, table: version, file: hinted ?? whole, hinted: hinted !== undefined };
  } catch (e) {
    for (const s of sinks) s.sink.discard();
    throw e;
  } finally {
    await cursor.close();
  }
}
