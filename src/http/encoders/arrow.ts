// application/vnd.apache.arrow.stream, loaded on the first Arrow answer: apache-arrow weighs about
// 14 MB of resident memory once required, and most gateways serve JSON and CSV. The encoder itself is
// arrow-writer.ts.
import type { AnswerColumn, RowEncoder } from '../row-encoder';

type ArrowWriter = typeof import('./arrow-writer');
let writer: ArrowWriter | undefined;

export function arrowRows(columns: AnswerColumn[]): RowEncoder {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  writer ??= require('./arrow-writer') as ArrowWriter;
  return writer.arrowRows(columns);
}
