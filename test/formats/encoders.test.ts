// The bulk encoders on their own (pure): every column type, NULL, empty and awkward text, masked
// columns of a non-text type, several batches, and an empty answer, read back by independent readers.
import { tableFromIPC } from 'apache-arrow';
import { arrowRows } from '../../src/http/encoders/arrow';
import { csvRows } from '../../src/http/encoders/csv';
import { ndjsonRows } from '../../src/http/encoders/ndjson';
import { parquetRows } from '../../src/http/encoders/parquet';
import { joinChunks, type AnswerColumn, type RowEncoder } from '../../src/http/row-encoder';
import { arrowToRows, csvToRows, ndjsonToRows, parquetToRows, type Row, type Types } from './read-formats';

const COLUMNS: AnswerColumn[] = [
  { name: 'id', type: 'integer', masked: false },
  { name: 'amount', type: 'decimal', masked: false },
  { name: 'note', type: 'text', masked: false },
  { name: 'active', type: 'boolean', masked: false },
  { name: 'day', type: 'date', masked: false },
  { name: 'at', type: 'timestamp', masked: false },
  { name: 'salary', type: 'integer', masked: true },
];
const TYPES: Types = { id: 'integer', amount: 'decimal', note: 'text', active: 'boolean', day: 'date', at: 'timestamp', salary: 'masked' };
const ROWS: Row[] = [
  { id: 1, amount: 12.5, note: 'plain', active: true, day: '2024-02-29', at: '2024-02-29T23:59:59.123Z', salary: 'tok_AAAAAAAAAAAAAAAAAAAAAA' },
  { id: 2, amount: -0.001, note: 'a, "quoted"\r\nline', active: false, day: '1970-01-01', at: '1970-01-01T00:00:00.000Z', salary: null },
  { id: 3, amount: null, note: '', active: null, day: null, at: null, salary: 'tok_BBBBBBBBBBBBBBBBBBBBBB' },
  { id: 9007199254740991, amount: 1e21, note: 'ünïcødé ✓ 日本', active: true, day: '2099-12-31', at: '2099-12-31T12:00:00.000Z', salary: null },
];

/** Runs an encoder as the streaming door does: begin, rows in batches (flush after each), end. */
function encode(e: RowEncoder, rows: Row[], batch = 2): Buffer {
  let out = e.begin(COLUMNS.map((c) => c.name));
  for (let i = 0; i < rows.length; i += batch) {
    rows.slice(i, i + batch).forEach((r, k) => (out = joinChunks(out, e.row(r, i + k))));
    if (e.flush) out = joinChunks(out, e.flush());
  }
  out = joinChunks(out, e.end());
  return typeof out === 'string' ? Buffer.from(out) : Buffer.from(out);
}

describe('bulk encoders', () => {
  it('CSV: RFC 4180 with a header, NULL empty and empty text "", awkward text quoted', () => {
    const text = encode(csvRows(COLUMNS), ROWS).toString('utf8');
    expect(text.split('\r\n')[0]).toBe('id,amount,note,active,day,at,salary');
    expect(text).toContain('2,-0.001,"a, ""quoted""\r\nline",false,1970-01-01,1970-01-01T00:00:00.000Z,\r\n');
    expect(text).toContain('\r\n3,,"",,,,tok_');
    const back = csvToRows(text, { ...TYPES, salary: 'text' });
    expect(back.rows).toEqual(ROWS);
  });

  it('CSV writes timestamps in ISO 8601 UTC whatever offset they were stored with', () => {
    const cols: AnswerColumn[] = [{ name: 'at', type: 'timestamp', masked: false }];
    const e = csvRows(cols);
    expect(`${e.begin(['at'])}${e.row({ at: '2024-05-01T12:00:00+02:00' }, 0)}`).toBe('at\r\n2024-05-01T10:00:00.000Z\r\n');
  });

  it('NDJSON: one object per line; an aborted answer ends with an error line', () => {
    const e = ndjsonRows();
    expect(ndjsonToRows(encode(e, ROWS).toString())).toEqual(ROWS);
    expect(e.abort({ code: 'x' })).toBe('{"error":{"code":"x"}}\n');
  });

  it('Arrow: a typed schema, one record batch per flushed batch, masked columns as utf8', () => {
    const bytes = encode(arrowRows(COLUMNS), ROWS);
    const back = arrowToRows(bytes, TYPES);
    expect(back.schema).toEqual(back.expected);
    expect(back.rows).toEqual(ROWS);
    expect(tableFromIPC(bytes).batches).toHaveLength(2);
    expect(arrowRows(COLUMNS).abort({})).toBe('');
  });

  it('Parquet: the same types, read back by hyparquet', async () => {
    const back = await parquetToRows(encode(parquetRows(COLUMNS), ROWS), TYPES);
    expect(back.schema).toEqual(back.expected);
    expect(back.rows).toEqual(ROWS);
    expect(back.rowGroups).toBe(1);
  });

  it('Parquet closes a row group early when its rows are large, so memory holds about one group', async () => {
    const big = 'x'.repeat(1024 * 1024);
    const rows = Array.from({ length: 20 }, (_, k) => ({ ...ROWS[0], id: k, note: big }));
    const back = await parquetToRows(encode(parquetRows(COLUMNS), rows, 1), TYPES);
    expect(back.rows.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(back.rowGroups).toBe(3); // 8 + 8 + 4 rows of 1 M characters each
  });

  it('an empty answer is still a whole, typed file', async () => {
    expect(encode(csvRows(COLUMNS), []).toString()).toBe('id,amount,note,active,day,at,salary\r\n');
    const a = tableFromIPC(encode(arrowRows(COLUMNS), []));
    expect([a.numRows, a.schema.fields.length]).toEqual([0, COLUMNS.length]);
    const p = await parquetToRows(encode(parquetRows(COLUMNS), []), TYPES);
    expect([p.rows.length, Object.keys(p.schema).length]).toEqual([0, COLUMNS.length]);
  });
});
