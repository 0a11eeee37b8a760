// Reads every answer format back into plain rows (JSON values: numbers, strings, booleans, null;
// dates as YYYY-MM-DD, timestamps as ISO 8601 UTC), with independent readers: apache-arrow's
// tableFromIPC, hyparquet's parquetReadObjects, a strict RFC 4180 parser written here.
import http from 'node:http';
import { tableFromIPC } from 'apache-arrow';
import type * as Hyparquet from 'hyparquet' with { 'resolution-mode': 'import' };
import type { Response } from 'superagent';
import type { ColumnType } from '../../src/policy/policy-schema';

// hyparquet is an ES module only (jest.config.js has swc turn it into CommonJS for the tests).
const { parquetMetadata, parquetReadObjects } = require('hyparquet') as typeof Hyparquet;

export type Row = Record<string, unknown>;
/** Column -> declared type (masked columns are read as text, whatever their type). */
export type Types = Record<string, ColumnType | 'masked'>;

/** A strict RFC 4180 reader: every record ends in CRLF, quotes only around whole fields. Unquoted empty = null. */
export function parseCsv(text: string): (string | null)[][] {
  const records: (string | null)[][] = [];
  let i = 0;
  while (i < text.length) {
    const rec: (string | null)[] = [];
    for (;;) {
      let field: string | null;
      if (text[i] === '"') {
        let v = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new Error('unterminated quoted field');
          v += text.slice(i, q);
          if (text[q + 1] === '"') {
            v += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        field = v;
      } else {
        let j = i;
        while (j < text.length && text[j] !== ',' && text[j] !== '\r' && text[j] !== '\n') {
          if (text[j] === '"') throw new Error(`a quote inside an unquoted field at ${j}`);
          j++;
        }
        field = j === i ? null : text.slice(i, j);
        i = j;
      }
      rec.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        break;
      }
      throw new Error(`expected , or CRLF at ${i}, got ${JSON.stringify(text.slice(i, i + 10))}`);
    }
    records.push(rec);
  }
  return records;
}

function typed(type: Types[string], v: string | null): unknown {
  if (v === null) return null;
  switch (type) {
    case 'integer':
    case 'decimal':
      return Number(v);
    case 'boolean':
      if (v !== 'true' && v !== 'false') throw new Error(`not a boolean: ${v}`);
      return v === 'true';
    default:
      return v;
  }
}

export function csvToRows(text: string, types: Types): { header: string[]; rows: Row[] } {
  const [header, ...records] = parseCsv(text);
  for (const r of records) if (r.length !== header.length) throw new Error(`a record of ${r.length} fields under ${header.length} columns`);
  return { header: header as string[], rows: records.map((r) => Object.fromEntries(header.map((h, k) => [h as string, typed(types[h as string], r[k])]))) };
}

export function ndjsonToRows(text: string): Row[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the last line has no newline');
  return text.split('\n').slice(0, -1).map((l) => JSON.parse(l) as Row);
}

const plain = (type: Types[string], v: unknown): unknown => {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (type === 'date') return new Date(v instanceof Date ? v.getTime() : (v as number)).toISOString().slice(0, 10);
  if (type === 'timestamp') return new Date(v instanceof Date ? v.getTime() : (v as number)).toISOString();
  return v;
};

const ARROW_TYPES: Record<string, string> = {
  integer: 'Int64',
  decimal: 'Float64',
  text: 'Utf8',
  boolean: 'Bool',
  date: 'Date32<DAY>',
  timestamp: 'Timestamp<MILLISECOND, UTC>',
  masked: 'Utf8',
};

/** Rows of an Arrow IPC stream, and its schema as `name: type` checked against the declared types. */
export function arrowToRows(bytes: Uint8Array, types: Types): { schema: Record<string, string>; expected: Record<string, string>; rows: Row[] } {
  const table = tableFromIPC(bytes);
  const schema = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
  const expected = Object.fromEntries(Object.keys(schema).map((n) => [n, ARROW_TYPES[types[n]]]));
  const rows = table.toArray().map((r: { toJSON(): Row }) => {
    const o = r.toJSON();
    return Object.fromEntries(Object.keys(schema).map((n) => [n, plain(types[n], o[n])]));
  });
  return { schema, expected, rows };
}

const PARQUET_TYPES: Record<string, string> = {
  integer: 'INT64',
  decimal: 'DOUBLE',
  text: 'BYTE_ARRAY/UTF8',
  boolean: 'BOOLEAN',
  date: 'INT32/DATE',
  timestamp: 'INT64/TIMESTAMP_MILLIS',
  masked: 'BYTE_ARRAY/UTF8',
};

export async function parquetToRows(bytes: Uint8Array, types: Types): Promise<{ schema: Record<string, string>; expected: Record<string, string>; rows: Row[]; rowGroups: number }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const meta = parquetMetadata(file);
  const leaves = meta.schema.slice(1);
  const schema = Object.fromEntries(leaves.map((e) => [e.name, [e.type, e.converted_type].filter(Boolean).join('/')]));
  const expected = Object.fromEntries(leaves.map((e) => [e.name, PARQUET_TYPES[types[e.name]]]));
  const objects = (await parquetReadObjects({ file })) as Row[];
  const rows = objects.map((o) => Object.fromEntries(leaves.map((e) => [e.name, plain(types[e.name], o[e.name])])));
  return { schema, expected, rows, rowGroups: meta.row_groups.length };
}

/** supertest: keep any body as bytes. */
export function asBytes(res: Response, cb: (err: Error | null, body: Buffer) => void): void {
  const stream = res as unknown as http.IncomingMessage;
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  stream.on('end', () => cb(null, Buffer.concat(chunks)));
}

export interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The connection was cut before the answer was complete. */
  cut: boolean;
}

/** A plain HTTP GET that reports a cut connection instead of failing. */
export function rawGet(port: number, path: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      let settled = false;
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = (cut: boolean) => {
        if (settled) return;
        settled = true;
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), cut });
      };
      res.on('end', () => done(!res.complete));
      res.on('aborted', () => done(true));
      res.on('error', () => done(true));
      res.on('close', () => done(!res.complete));
    });
    req.on('error', reject);
  });
}
