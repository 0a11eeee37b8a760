// Streams the audit log (oldest first) as NDJSON or CSV to a writable, one keyset batch at a time,
// waiting for the writable to drain before the next batch: memory stays bounded by one batch
// whatever the size of the log, and a slow reader slows the export instead of filling memory.
import type { Writable } from 'node:stream';
import type { Knex } from 'knex';
import type { AuditRow } from './audit-entry';
import { CSV_COLUMNS, toEntry, whereFilters, type AuditEntryOut, type AuditFilter } from './audit-query';
import { drainedOrClosed } from '../http/drained-or-closed';

export type ExportFormat = 'csv' | 'ndjson';
export const EXPORT_BATCH = 1000;

/** One CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvHeader = () => `${CSV_COLUMNS.join(',')}\r\n`;
const csvLine = (e: AuditEntryOut) => `${CSV_COLUMNS.map((c) => csvCell(e[c])).join(',')}\r\n`;
const ndjsonLine = (e: AuditEntryOut) => `${JSON.stringify(e)}\n`;

/** Waits until the writable wants more, or is gone; leaves no listener behind. */
/** Resolves with the number of entries written; stops early (without error) if `out` is closed. */
export async function exportAudit(db: Knex, filters: AuditFilter, format: ExportFormat, out: Writable, batch = EXPORT_BATCH): Promise<number> {
  const line = format === 'csv' ? csvLine : ndjsonLine;
  let closed = false;
  out.once('close', () => (closed = true));
  const write = async (chunk: string) => {
    if (!out.write(chunk)) await drainedOrClosed(out);
  };
  if (format === 'csv') await write(csvHeader());
  let lastId = 0;
  let n = 0;
  while (!closed) {
    const rows: AuditRow[] = await whereFilters(db('mg_audit').where('id', '>', lastId), filters).orderBy('id', 'asc').limit(batch);
    if (rows.length === 0) break;
    await write(rows.map((r) => line(toEntry(r))).join(''));
    n += rows.length;
    lastId = Number(rows[rows.length - 1].id);
    if (rows.length < batch) break;
  }
  return n;
}
