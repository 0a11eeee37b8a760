// Driver errors -> typed gateway errors, so nothing above the store layer knows which driver ran.
// The driver error stays with the answer as its `cause`: never sent, logged with every 5xx.
import { GatewayError, fail } from '../errors';

export function translateStoreError(e: unknown): GatewayError {
  if (e instanceof GatewayError) return e;
  const err = e as { code?: string; name?: string; message?: string };
  const code = err?.code ?? '';
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505') {
    return fail('conflict', 'a row with the same key already exists; nothing was written', {}, e);
  }
  if (code.startsWith('SQLITE_CONSTRAINT') || code === '23502' || code === '23514' || code === '23503') {
    return fail('constraint_violation', 'the store refused a row (a required value is missing or a constraint failed); nothing was written', {}, e);
  }
  if (code === '22P02' || code === '22003' || code === '22007' || code === '22008') {
    return fail('invalid_value', 'a value does not fit its column; nothing was written', {}, e);
  }
  if (err?.name === 'KnexTimeoutError' || code === 'SQLITE_BUSY' || code === 'ECONNREFUSED' || code === '57P01' || code === '08006') {
    return fail('store_unavailable', 'the data store did not answer; try again', {}, e);
  }
  return fail('store_unavailable', 'the data store failed to run the query', {}, e);
}
