// Gateway problems as PostgreSQL ErrorResponses: the SQLSTATE a PostgreSQL client expects for each.
// A refusal is 42501 (insufficient_privilege), a bad token 28P01, a syntax error 42601.
import type { BackendError } from 'pg-gateway';
import { GatewayError } from '../errors';

const BY_CODE: Partial<Record<GatewayError['code'], string>> = {
  sql_syntax: '42601',
  sql_not_allowed: '42501',
  dataset_not_found: '42P01',
  unknown_column: '42703',
  sql_invalid: '42000',
  query_timeout: '57014',
  query_too_large: '54000',
  invalid_value: '22P02',
};

export function pgError(e: unknown): BackendError {
  if (!(e instanceof GatewayError)) return { severity: 'ERROR', code: 'XX000', message: 'internal error' };
  const code = BY_CODE[e.code] ?? (e.status === 401 ? '28P01' : e.status === 403 ? '42501' : e.status >= 500 ? '58000' : '22023');
  const missing = typeof e.extra.missing === 'string' ? e.extra.missing : undefined;
  return { severity: 'ERROR', code, message: e.message, detail: e.code, ...(missing && { hint: `missing: ${missing}` }) };
}
