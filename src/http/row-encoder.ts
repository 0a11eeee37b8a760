// How rows become bytes in one answer format. The streaming door (send-rows.ts) calls begin, then
// row for each row, then end; or, when it must stop early (answer cap, store failure), abort with
// the problem, after which the connection is cut so no client can take a short answer for a whole one.
export interface RowEncoder {
  contentType: string;
  begin(columns: string[]): string;
  row(row: Record<string, unknown>, index: number): string;
  end(): string;
  abort(problem: Record<string, unknown>): string;
}

/** `{ columns, rows: [...], ...trailer }`; an aborted answer closes with an `error` member before the cut. */
export function jsonRows(trailer: Record<string, unknown>): RowEncoder {
  const tail = JSON.stringify(trailer).slice(1);
  return {
    contentType: 'application/json; charset=utf-8',
    begin: (columns) => `{"columns":${JSON.stringify(columns)},"rows":[`,
    row: (row, i) => (i === 0 ? JSON.stringify(row) : `,${JSON.stringify(row)}`),
    end: () => (tail === '}' ? ']}' : `],${tail}`),
    abort: (problem) => `],"error":${JSON.stringify(problem)}}`,
  };
}
