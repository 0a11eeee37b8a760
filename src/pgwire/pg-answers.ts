// Backend messages of the PostgreSQL protocol that pg-gateway does not send itself (row descriptions,
// data rows, command tags), framed by the Writer of pg-protocol that pg-gateway exposes. Values travel
// in text format, as PostgreSQL writes them (booleans t/f, timestamps `YYYY-MM-DD HH:MM:SS.mmm+00`).
import type { PostgresConnection } from 'pg-gateway';
import type { ColumnType } from '../policy/policy-schema';

/** The PostgreSQL type OID and size of each meshguard column type. */
const PG_TYPES: Record<ColumnType, { oid: number; size: number }> = {
  integer: { oid: 20, size: 8 }, // int8
  decimal: { oid: 701, size: 8 }, // float8
  boolean: { oid: 16, size: 1 },
  date: { oid: 1082, size: 4 },
  timestamp: { oid: 1184, size: 8 }, // timestamptz
  text: { oid: 25, size: -1 },
};

function textOf(type: ColumnType, v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (type === 'boolean' && typeof v === 'boolean') return v ? 't' : 'f';
  if (type === 'timestamp' && typeof v === 'string') return v.replace('T', ' ').replace(/Z$/, '+00');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function sendRowDescription(conn: PostgresConnection, columns: { name: string; type: ColumnType }[]): void {
  const w = conn.writer;
  w.addInt16(columns.length);
  for (const c of columns) {
    const t = PG_TYPES[c.type];
    w.addCString(c.name).addInt32(0).addInt16(0).addInt32(t.oid).addInt16(t.size).addInt32(-1).addInt16(0);
  }
  conn.sendData(w.flush(0x54)); // T
}

export function sendDataRows(conn: PostgresConnection, columns: { name: string; type: ColumnType }[], rows: Record<string, unknown>[]): void {
  for (const row of rows) {
    const w = conn.writer;
    w.addInt16(columns.length);
    for (const c of columns) {
      const text = textOf(c.type, row[c.name]);
      if (text === null) w.addInt32(-1);
      else {
        const bytes = Buffer.from(text, 'utf8');
        w.addInt32(bytes.length).add(bytes);
      }
    }
    conn.sendData(w.flush(0x44)); // D
  }
}

export function sendCommandComplete(conn: PostgresConnection, tag: string): void {
  conn.sendData(conn.writer.addCString(tag).flush(0x43)); // C
}

export function sendEmptyQuery(conn: PostgresConnection): void {
  conn.sendData(conn.writer.flush(0x49)); // I
}

export function sendBackendKeyData(conn: PostgresConnection, pid: number, key: number): void {
  conn.sendData(conn.writer.addInt32(pid).addInt32(key).flush(0x4b)); // K
}
