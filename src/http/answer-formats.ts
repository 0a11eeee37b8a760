// Which format a read answers in: `format=` when given (for clients that cannot set headers), else
// the Accept header with its q-values (Express's req.accepts, i.e. the `negotiator` package: exact
// types beat `type/*`, which beats `*/*`; ties go to the header's order, then to this table's).
// JSON stays the default. An Accept that names none of these is 406 `not_acceptable`, with the list.
import { fail } from '../errors';
import type { ReadPlan } from '../query/plan-read';
import { arrowRows } from './encoders/arrow';
import { csvRows } from './encoders/csv';
import { ndjsonRows } from './encoders/ndjson';
import { parquetRows } from './encoders/parquet';
import { jsonRows, type AnswerColumn, type RowEncoder } from './row-encoder';

export const FORMATS = {
  json: 'application/json',
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  arrow: 'application/vnd.apache.arrow.stream',
  parquet: 'application/vnd.apache.parquet',
} as const;
export type Format = keyof typeof FORMATS;

const NAMES = Object.keys(FORMATS) as Format[];
const TYPES = Object.values(FORMATS);

function notAcceptable(detail: string, names: readonly Format[]) {
  const types = names.map((n) => FORMATS[n]);
  return fail('not_acceptable', `${detail}; this endpoint answers ${types.join(', ')} (or format=${names.join('|')})`, { acceptable: types, formats: names });
}

/**
 * `accepts` is Express's req.accepts: the best of the given types for the request's Accept, or false.
 * `offered`: the formats this endpoint writes (every one by default; metric answers: JSON and CSV).
 */
export function chooseFormat(formatParam: unknown, accepts: (types: string[]) => string | false, offered: readonly Format[] = NAMES): Format {
  if (formatParam !== undefined) {
    if (typeof formatParam !== 'string') throw fail('bad_request', 'format may be given once, as text', { parameter: 'format' });
    if (!offered.includes(formatParam as Format)) {
      throw notAcceptable(`format=${/^[A-Za-z0-9_-]{1,16}$/.test(formatParam) ? formatParam : '(an unknown name)'} is not a format this ${Object.hasOwn(FORMATS, formatParam) ? 'endpoint' : 'gateway'} writes`, offered);
    }
    return formatParam as Format;
  }
  const types = offered.map((n) => FORMATS[n]);
  const best = accepts(types);
  if (best === false) throw notAcceptable('none of the types in Accept can be served', offered);
  return offered[types.indexOf(best as (typeof TYPES)[number])];
}

/** The answer's columns with their types; a column masked on any row holds tokens, so it is text. */
export function answerColumns(plan: ReadPlan): AnswerColumn[] {
  return plan.columns.map((c) => ({ name: c.name, type: plan.ds.columns[c.name].type, masked: c.masked !== false }));
}

export function encoderFor(format: Format, plan: ReadPlan): RowEncoder {
  return encoderForColumns(format, answerColumns(plan), { limit: plan.limit, offset: plan.offset });
}

/** The encoder of `format` for answer columns known by their types; `trailer` closes a JSON answer. */
export function encoderForColumns(format: Format, columns: AnswerColumn[], trailer: Record<string, unknown> = {}): RowEncoder {
  switch (format) {
    case 'json':
      return jsonRows(trailer);
    case 'csv':
      return csvRows(columns);
    case 'ndjson':
      return ndjsonRows();
    case 'arrow':
      return arrowRows(columns);
    case 'parquet':
      return parquetRows(columns);
  }
}

/** The file name a bulk answer suggests when saved: `<domain>.<dataset>.<format>`. */
export const fileNameFor = (format: Format, datasetKey: string) => `${datasetKey}.${format === 'arrow' ? 'arrows' : format}`;
