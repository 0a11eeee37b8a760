// Values from URLs (text) and JSON bodies -> values of the column's type, as the store binds them;
// and stored values -> JSON values. A value that does not fit its column is a 400, never a store error.
import type { Knex } from 'knex';
import { fail } from '../errors';
import type { ColumnType } from '../policy/policy-schema';
import type { Dialect } from '../state/open-state';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

// The value itself is never echoed: the detail lands in the audit log, which must not hold data values.
function bad(column: string, type: ColumnType, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  throw fail('invalid_value', `column ${column} is ${type}; the value given (${got}) is not a valid ${type}`, { column });
}

/** `fromText`: the value came from a URL, so numbers and booleans arrive as text. */
export function toStoreValue(column: string, type: ColumnType, value: unknown, dialect: Dialect, fromText = false): Knex.Value {
  if (value === null) return null;
  switch (type) {
    case 'integer': {
      const n = typeof value === 'number' && !fromText ? value : typeof value === 'string' && /^-?\d{1,16}$/.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n)) bad(column, type, value);
      return n;
    }
    case 'decimal': {
      const n = typeof value === 'number' && !fromText ? value : typeof value === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value.trim()) ? Number(value) : NaN;
      if (!Number.isFinite(n)) bad(column, type, value);
      return n;
    }
    case 'boolean': {
      const b = typeof value === 'boolean' && !fromText ? value : value === 'true' ? true : value === 'false' ? false : undefined;
      if (b === undefined) bad(column, type, value);
      return dialect === 'sqlite' ? (b ? 1 : 0) : b;
    }
    case 'date':
      if (typeof value !== 'string' || !DATE.test(value) || Number.isNaN(Date.parse(value))) bad(column, type, value);
      return value;
    case 'timestamp': {
      if (typeof value !== 'string' || !TIMESTAMP.test(value)) bad(column, type, value);
      const at = new Date(value);
      if (Number.isNaN(at.getTime())) bad(column, type, value);
      // One canonical text form, so SQLite compares timestamps correctly as text; MySQL's DATETIME
      // takes the same instant in UTC without the T and Z (its sessions run in UTC: store-registry.ts).
      return dialect === 'mysql' ? at.toISOString().replace('T', ' ').replace('Z', '') : at.toISOString();
    }
    case 'text':
      if (typeof value !== 'string' && !(fromText && typeof value === 'string')) bad(column, type, value);
      if ((value as string).length > 65536) throw fail('invalid_value', `column ${column}: text longer than 65536 characters`, { column });
      return value as string;
  }
}

/** Whether a stored value already is what fromStoreValue would make of it (so it can leave as it is). */
export function isJsonForm(type: ColumnType, value: unknown): boolean {
  switch (type) {
    case 'integer':
    case 'decimal':
      return typeof value === 'number' || value === null;
    case 'text':
    case 'date':
    case 'timestamp':
      return typeof value === 'string' || value === null;
    default:
      return false;
  }
}

/** A stored value -> its JSON form, the same whichever store it came from. */
export function fromStoreValue(type: ColumnType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
    case 'decimal':
      return Number(value);
    case 'boolean':
      return value === true || value === 1 || value === '1' || value === 't';
    case 'date':
      // node-postgres reads a date as local midnight: format it from local parts, not as UTC.
      return value instanceof Date
        ? `${value.getFullYear()}-${String(value.getMonth() + 1).padStart(2, '0')}-${String(value.getDate()).padStart(2, '0')}`
        : String(value);
    case 'timestamp':
      return value instanceof Date ? value.toISOString() : String(value);
    default:
      return value;
  }
}
