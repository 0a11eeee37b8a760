// application/x-ndjson: one JSON object per row, one per line. An answer cut short ends with a last
// line `{"error": {problem}}` before the cut, so a reader that stops at the first error line knows.
import type { RowEncoder } from '../row-encoder';

export function ndjsonRows(): RowEncoder {
  return {
    contentType: 'application/x-ndjson; charset=utf-8',
    bulk: true,
    begin: () => '',
    row: (row) => `${JSON.stringify(row)}\n`,
    end: () => '',
    abort: (problem) => `${JSON.stringify({ error: problem })}\n`,
  };
}
