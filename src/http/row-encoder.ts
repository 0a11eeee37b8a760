// How rows become bytes in one answer format. The streaming door (send-rows.ts) calls begin, then
// row for each row, then flush at the end of each batch, then end; or, when it must stop early
// (answer cap, export limit, store failure), abort with the problem, after which the connection is
// cut so no client can take a short answer for a whole one. Text formats answer strings (the JSON
// fast path stays string concatenation); binary formats (Arrow, Parquet) gather a batch's rows in
// row() and answer its bytes from flush(). The bulk formats live in ./encoders/.
import type { ColumnType } from '../policy/policy-schema';

/** A piece of an answer: text (written as UTF-8) or bytes. */
export type Chunk = string | Uint8Array;

export interface RowEncoder {
  contentType: string;
  /**
   * A bulk format (CSV, NDJSON, Arrow, Parquet): `limit` may be omitted (every row), the answer cap
   * does not apply, a role's export row limit does.
   */
  bulk: boolean;
  begin(columns: string[]): Chunk;
  row(row: Record<string, unknown>, index: number): Chunk;
  /** Optional: the rows `start`, `start + 1`, ... at once, the same bytes as row() for each (a faster path). */
  rows?(rows: Record<string, unknown>[], start: number): Chunk;
  /**
   * Optional: a whole answer that fits in one batch at once, the same bytes as begin, rows and end
   * (JSON: one stringify of the answer object, as a plain Express handler would, instead of pieces joined).
   */
  answer?(columns: string[], rows: Record<string, unknown>[]): Chunk;
  /** The bytes of the rows gathered since the last flush, for formats that write a batch at a time. */
  flush?(): Chunk;
  end(): Chunk;
  /** What ends an answer cut short; '' where the format has no way to say it (the cut says it). */
  abort(problem: Record<string, unknown>): Chunk;
}

/** A column of an answer as a typed format sees it: masked columns hold tokens, so they are text. */
export interface AnswerColumn {
  name: string;
  type: ColumnType;
  /** Some or all rows show this column as a mask token. */
  masked: boolean;
}

/**
 * `{ columns, rows: [...], ...trailer }`; an aborted answer closes with an `error` member before the cut.
 * The trailer may be a function, asked at the end (a metric answer's suppressedGroups, known once read).
 */
export function jsonRows(trailer: Record<string, unknown> | (() => Record<string, unknown>)): RowEncoder {
  const tailOf = () => JSON.stringify(typeof trailer === 'function' ? trailer() : trailer).slice(1);
  const fixed = typeof trailer === 'function' ? undefined : tailOf();
  return {
    contentType: 'application/json; charset=utf-8',
    bulk: false,
    begin: (columns) => `{"columns":${JSON.stringify(columns)},"rows":[`,
    row: (row, i) => (i === 0 ? JSON.stringify(row) : `,${JSON.stringify(row)}`),
    // One stringify of the batch instead of one per row: the array's brackets off, the commas are the same.
    rows: (rows, start) => (rows.length === 0 ? '' : `${start === 0 ? '' : ','}${JSON.stringify(rows).slice(1, -1)}`),
    answer: (columns, rows) => JSON.stringify({ columns, rows, ...(typeof trailer === 'function' ? trailer() : trailer) }),
    end: () => {
      const tail = fixed ?? tailOf();
      return tail === '}' ? ']}' : `],${tail}`;
    },
    abort: (problem) => `],"error":${JSON.stringify(problem)}}`,
  };
}

export const byteLengthOf = (c: Chunk): number => (typeof c === 'string' ? Buffer.byteLength(c) : c.byteLength);

/** a then b; strings stay strings (the JSON path), anything with bytes becomes bytes. */
export function joinChunks(a: Chunk, b: Chunk): Chunk {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  return Buffer.concat([typeof a === 'string' ? Buffer.from(a) : a, typeof b === 'string' ? Buffer.from(b) : b]);
}
