// text/csv (RFC 4180): a header row, CRLF line ends, UTF-8. A field holding a comma, a double
// quote, CR or LF is quoted (quotes doubled). NULL is an empty field and an empty text is `""`, so
// the two stay apart; timestamps are ISO 8601 in UTC. An answer cut short has no trailer: the cut
// connection (no terminating chunk) is what tells the client.
import type { AnswerColumn, RowEncoder } from '../row-encoder';

const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const text = String(v);
  if (text === '') return '""';
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A stored timestamp in its canonical UTC form; text that is not a timestamp is left as it is. */
function utc(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? v : new Date(ms).toISOString();
}

export function csvRows(columns: AnswerColumn[]): RowEncoder {
  const names = columns.map((c) => c.name);
  const timestamps = new Set(columns.filter((c) => c.type === 'timestamp' && !c.masked).map((c) => c.name));
  return {
    contentType: 'text/csv; charset=utf-8; header=present',
    bulk: true,
    begin: () => `${names.map(csvField).join(',')}\r\n`,
    row: (row) => {
      let line = '';
      for (let i = 0; i < names.length; i++) {
        const n = names[i];
        line += (i ? ',' : '') + csvField(timestamps.has(n) ? utc(row[n]) : row[n]);
      }
      return `${line}\r\n`;
    },
    end: () => '',
    abort: () => '',
  };
}
