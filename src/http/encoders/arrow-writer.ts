// application/vnd.apache.arrow.stream: an Arrow IPC stream (apache-arrow's RecordBatchStreamWriter)
// with a typed schema: integer -> int64, decimal -> float64, text -> utf8, boolean -> bool,
// date -> date32, timestamp -> timestamp[ms, UTC]; a masked column is utf8 (its tokens). Each batch
// the streaming door reads becomes one record batch, so memory holds one batch. An answer cut short
// has no end-of-stream marker and no terminating chunk: the reader sees a broken stream.
import {
  AsyncByteQueue,
  Bool,
  DateDay,
  Field,
  Float64,
  Int64,
  makeBuilder,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
  type Builder,
  type DataType,
} from 'apache-arrow';
import type { AnswerColumn, RowEncoder } from '../row-encoder';

/** The writer's output, taken as it is written (the writer's own queue would keep it all). */
class Taken extends AsyncByteQueue {
  chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    this.chunks.push(value);
  }
  take(): Uint8Array {
    const out = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    this.chunks = [];
    return out;
  }
}

type Convert = (v: unknown) => unknown;

function arrowType(c: AnswerColumn): { type: DataType; convert: Convert } {
  const keep: Convert = (v) => v;
  if (c.masked) return { type: new Utf8(), convert: (v) => (v === null ? null : String(v)) };
  switch (c.type) {
    case 'integer':
      return { type: new Int64(), convert: (v) => (v === null ? null : BigInt(v as number)) };
    case 'decimal':
      return { type: new Float64(), convert: keep };
    case 'boolean':
      return { type: new Bool(), convert: keep };
    case 'date':
    case 'timestamp':
      return { type: c.type === 'date' ? new DateDay() : new TimestampMillisecond('UTC'), convert: (v) => (v === null ? null : Date.parse(String(v))) };
    default:
      return { type: new Utf8(), convert: (v) => (v === null ? null : String(v)) };
  }
}

export function arrowRows(columns: AnswerColumn[]): RowEncoder {
  const typed = columns.map((c) => ({ name: c.name, ...arrowType(c) }));
  const fields = typed.map((c) => new Field(c.name, c.type, true));
  const schema = new Schema(fields);
  const struct = new Struct(fields);
  const sink = new Taken();
  const writer = new RecordBatchStreamWriter();
  let builders: Builder[] = [];
  let count = 0;
  const fresh = () => typed.map((c) => makeBuilder({ type: c.type, nullValues: [null, undefined] }));
  const writeBatch = () => {
    if (count === 0) return;
    const children = builders.map((b) => b.finish().toVector().data[0]);
    writer.write(new RecordBatch(schema, makeData({ type: struct, length: count, nullCount: 0, children })));
    builders = fresh();
    count = 0;
  };
  return {
    contentType: 'application/vnd.apache.arrow.stream',
    bulk: true,
    begin() {
      writer.reset(sink, schema);
      builders = fresh();
      return '';
    },
    row(row) {
      for (let i = 0; i < typed.length; i++) builders[i].append(typed[i].convert(row[typed[i].name] ?? null));
      count++;
      return '';
    },
    flush() {
      writeBatch();
      return sink.take();
    },
    end() {
      writeBatch();
      writer.close(); // the schema (when no batch came) and the end-of-stream marker
      return sink.take();
    },
    abort: () => '',
  };
}
