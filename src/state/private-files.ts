// The data dir holds salaries (stores/*.sqlite), the audit log and grants (meshguard.sqlite) and the
// keys: directories 0700, files 0600, whatever the process umask. The umask is process-wide, so it is
// left alone; instead each file is created with its mode before anything opens it, and a file or
// directory that already exists is brought to its mode at start-up. SQLite creates a database's
// -wal, -shm and -journal files with the mode of the database file, so a 0600 database keeps them 0600.
import fs from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

function chmodTo(target: string, mode: number): void {
  if ((fs.statSync(target).mode & 0o777) !== mode) fs.chmodSync(target, mode);
}

/** Creates `dir` (and missing parents) 0700, or brings an existing `dir` to 0700. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  chmodTo(dir, PRIVATE_DIR);
}

/** A SQLite database file created (empty, which SQLite takes as a new database) or brought to 0600
 *  before SQLite opens it, with its directory 0700 and any WAL, SHM or journal file left from an earlier run 0600. */
export function ensurePrivateSqliteFile(file: string): void {
  ensurePrivateDir(path.dirname(file));
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) {
    try {
      chmodTo(f, PRIVATE_FILE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}

/** Replaces `file` with `text` atomically and durably: a 0600 temporary file in the same directory,
 *  flushed to disk, then renamed over it (a crash leaves the old file or the new one, never a torn one). */
export async function writePrivateFileAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fh = await fs.promises.open(tmp, 'w', PRIVATE_FILE);
    try {
      await fh.chmod(PRIVATE_FILE); // a leftover temporary file keeps its old mode through open
      await fh.writeFile(text);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}
