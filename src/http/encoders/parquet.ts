// application/vnd.apache.parquet: one Parquet file, written by hyparquet-writer (pure JavaScript,
// no native or WASM code, writes row group by row group). Types as in Arrow: integer -> INT64,
// decimal -> DOUBLE, text and masked columns -> UTF8 strings, boolean -> BOOLEAN, date -> DATE,
// timestamp -> TIMESTAMP(MILLIS, UTC). Rows are gathered into row groups of up to ROW_GROUP_ROWS
// (or ROW_GROUP_CHARS) and each group is sent as soon as it is written; the footer (the file's metadata) comes last. An
// answer cut short has no footer and no terminating chunk: no reader takes it for a whole file.
import type { AnswerColumn, Chunk, RowEncoder } from '../row-encoder';
import { parquetModule, type ParquetSchemaElement } from './parquet-module';

export const ROW_GROUP_ROWS = 10_000;
/** ...or fewer, once the gathered rows hold about this many characters of text (rows may be large). */
export const ROW_GROUP_CHARS = 8 * 1024 * 1024;

type Convert = (v: unknown) => unknown;
const DAY_MS = 86_400_000;

function parquetColumn(c: AnswerColumn): { element: ParquetSchemaElement; convert: Convert } {
  const base = { name: c.name, repetition_type: 'OPTIONAL' as const };
  const text = { element: { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }, convert: (v: unknown) => (v === null ? null : String(v)) } as const;
  if (c.masked) return text;
  const keep: Convert = (v) => v;
  switch (c.type) {
    case 'integer':
      return { element: { ...base, type: 'INT64' }, convert: (v) => (v === null ? null : BigInt(v as number)) };
    case 'decimal':
      return { element: { ...base, type: 'DOUBLE' }, convert: keep };
    case 'boolean':
      return { element: { ...base, type: 'BOOLEAN' }, convert: keep };
    case 'date':
      return {
        element: { ...base, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } },
        convert: (v) => (v === null ? null : Math.floor(Date.parse(String(v)) / DAY_MS)),
      };
    case 'timestamp':
      return {
        element: { ...base, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } },
        convert: (v) => (v === null ? null : BigInt(Date.parse(String(v)))),
      };
    default:
      return text;
  }
}

export function parquetRows(columns: AnswerColumn[]): RowEncoder {
  const { ByteWriter, ParquetWriter } = parquetModule();
  const typed = columns.map((c) => ({ name: c.name, ...parquetColumn(c) }));
  const schema = [{ name: 'root', num_children: typed.length }, ...typed.map((c) => c.element)];
  const sent: Uint8Array[] = [];
  // Called by the writer after each row group: the bytes leave, only the file offset is kept.
  const out = Object.assign(new ByteWriter(), {
    flush() {
      sent.push(new Uint8Array(out.buffer, 0, out.index).slice());
      out.index = 0;
    },
  });
  const take = (): Chunk => {
    out.flush();
    const bytes = sent.length === 1 ? sent[0] : Buffer.concat(sent);
    sent.length = 0;
    return bytes;
  };
  let writer: InstanceType<typeof ParquetWriter>;
  let pending: unknown[][] = typed.map(() => []);
  let count = 0;
  let chars = 0;
  const writeGroup = () => {
    if (count === 0) return;
    writer.write({ columnData: typed.map((c, i) => ({ name: c.name, data: pending[i] })), rowGroupSize: count });
    pending = typed.map(() => []);
    count = 0;
    chars = 0;
  };
  return {
    contentType: 'application/vnd.apache.parquet',
    bulk: true,
    begin() {
      writer = new ParquetWriter({ writer: out, schema, createdBy: 'meshguard' });
      return take();
    },
    row(row) {
      for (let i = 0; i < typed.length; i++) {
        const v = typed[i].convert(row[typed[i].name] ?? null);
        chars += typeof v === 'string' ? v.length : 8;
        pending[i].push(v);
      }
      count++;
      return '';
    },
    flush() {
      if (count >= ROW_GROUP_ROWS || chars >= ROW_GROUP_CHARS) writeGroup();
      return take();
    },
    end() {
      writeGroup();
      writer.finish();
      return take();
    },
    abort: () => '',
  };
}
