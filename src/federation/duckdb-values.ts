// A DuckDB answer in meshguard's JSON forms: integers as numbers (text past 2^53), dates as YYYY-MM-DD,
// timestamps as ISO 8601 UTC, so a federated answer reads like a row read of the same columns.
import type { DuckDBResultReader } from '@duckdb/node-api';
import type { ColumnType } from '../policy/policy-schema';

function columnType(duckType: string): ColumnType {
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/.test(duckType)) return 'integer';
  if (/^(FLOAT|DOUBLE|DECIMAL)/.test(duckType)) return 'decimal';
  if (duckType === 'BOOLEAN') return 'boolean';
  if (duckType === 'DATE') return 'date';
  if (duckType.startsWith('TIMESTAMP')) return 'timestamp';
  return 'text';
}

function jsonValue(type: ColumnType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return type === 'date' ? v.toISOString().slice(0, 10) : v.toISOString();
  if (typeof v === 'object') return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
  return v;
}

export function fromDuckdb(reader: DuckDBResultReader): { columns: { name: string; type: ColumnType; masked: boolean }[]; rows: Record<string, unknown>[] } {
  const names = reader.columnNames();
  const types = reader.columnTypes().map((t) => columnType(String(t)));
  const rows = reader.getRowsJS().map((r) => {
    const o: Record<string, unknown> = {};
    names.forEach((n, i) => (o[n] = jsonValue(types[i], r[i])));
    return o;
  });
  return { columns: names.map((name, i) => ({ name, type: types[i], masked: false })), rows };
}
