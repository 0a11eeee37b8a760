// Driver errors -> typed gateway errors, so nothing above the store layer knows which driver ran.
// The driver error stays with the answer as its `cause`: never sent, logged with every 5xx.
import { GatewayError, fail } from '../errors';

// mysql2 names MySQL/MariaDB server errors by their symbol (ER_...).
const MYSQL_CONSTRAINT = new Set(['ER_BAD_NULL_ERROR', 'ER_NO_DEFAULT_FOR_FIELD', 'ER_CHECK_CONSTRAINT_VIOLATED', 'ER_CONSTRAINT_FAILED', 'ER_NO_REFERENCED_ROW_2', 'ER_ROW_IS_REFERENCED_2']);
const MYSQL_VALUE = new Set(['ER_TRUNCATED_WRONG_VALUE', 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', 'ER_WARN_DATA_OUT_OF_RANGE', 'ER_DATA_TOO_LONG', 'ER_DATA_OUT_OF_RANGE', 'WARN_DATA_TRUNCATED']);
const MYSQL_UNAVAILABLE = new Set(['PROTOCOL_CONNECTION_LOST', 'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK', 'ER_CON_COUNT_ERROR', 'ETIMEDOUT']);

export function translateStoreError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const err = e as { code?: string; name?: string; message?: string };
  const code = err?.code ?? '';
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505' || code === 'ER_DUP_ENTRY') {
    return fail('conflict', 'a row with the same key already exists; nothing was written', {}, e);
  }
  if (code.startsWith('SQLITE_CONSTRAINT') || code === '23502' || code === '23514' || code === '23503' || MYSQL_CONSTRAINT.has(code)) {
    return fail('constraint_violation', 'the store refused a row (a required value is missing or a constraint failed); nothing was written', {}, e);
  }
  if (code === '22P02' || code === '22003' || code === '22007' || code === '22008' || MYSQL_VALUE.has(code)) {
    return fail('invalid_value', 'a value does not fit its column; nothing was written', {}, e);
  }
  if (err?.name === 'KnexTimeoutError' || code === 'SQLITE_BUSY' || code === 'ECONNREFUSED' || code === '57P01' || code === '08006' || MYSQL_UNAVAILABLE.has(code)) {
    return fail('store_unavailable', 'the data store did not answer; try again', {}, e);
  }
  return fail('store_unavailable', 'the data store failed to run the query', {}, e);
}
