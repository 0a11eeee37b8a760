// Every error the gateway can answer with: a stable `code`, its HTTP status and title.
// Code throws these; http/problem.ts is the one place that turns them into RFC 9457 answers.

export const ERRORS = {
  // 400
  bad_request: { status: 400, title: 'Bad request' },
  malformed_json: { status: 400, title: 'Malformed JSON body' },
  invalid_body: { status: 400, title: 'Invalid request body' },
  unknown_parameter: { status: 400, title: 'Unknown query parameter' },
  invalid_filter: { status: 400, title: 'Invalid filter' },
  invalid_value: { status: 400, title: 'Value does not match the column type' },
  unknown_column: { status: 400, title: 'Unknown column' },
  filter_required: { status: 400, title: 'A filter is required' },
  constraint_violation: { status: 400, title: 'The store refused the row' },
  invalid_grant: { status: 400, title: 'Invalid grant' },
  response_too_large: { status: 400, title: 'Answer larger than the gateway serves' },
  too_many_parameters: { status: 400, title: 'Too many query parameters' },
  malformed_request: { status: 400, title: 'Malformed HTTP request' },
  reason_required: { status: 400, title: 'A reason is required' },
  export_limit_exceeded: { status: 400, title: 'Export larger than your role may take' },
  unknown_metric: { status: 400, title: 'Unknown metric' },
  unknown_dimension: { status: 400, title: 'Unknown dimension' },
  // federated SQL (issue 14)
  sql_not_allowed: { status: 400, title: 'Statement not allowed' },
  sql_syntax: { status: 400, title: 'SQL syntax error' },
  sql_invalid: { status: 400, title: 'The query cannot run' },
  query_timeout: { status: 400, title: 'Query ran past its time limit' },
  query_too_large: { status: 400, title: 'Query larger than the gateway runs' },
  // replicas (issue 16)
  invalid_policies: { status: 422, title: 'Policy files invalid: the policies in force are kept' },
  // 401
  missing_token: { status: 401, title: 'Authentication required' },
  invalid_token: { status: 401, title: 'Invalid token' },
  token_expired: { status: 401, title: 'Token expired' },
  token_not_yet_valid: { status: 401, title: 'Token not yet valid' },
  token_revoked: { status: 401, title: 'Token revoked' },
  subject_suspended: { status: 401, title: 'Subject suspended' },
  // 403
  forbidden: { status: 403, title: 'Forbidden' },
  column_denied: { status: 403, title: 'Column not permitted' },
  column_masked: { status: 403, title: 'Column is masked for you' },
  self_grant: { status: 403, title: 'Separation of duties' },
  last_admin: { status: 403, title: 'The last admin grant cannot be revoked' },
  row_denied: { status: 403, title: 'Row not permitted' },
  cursor_revoked: { status: 403, title: 'Cursor revoked' },
  access_revoked: { status: 403, title: 'Access revoked during the answer' },
  // 404
  not_found: { status: 404, title: 'Not found' },
  dataset_not_found: { status: 404, title: 'Dataset not found' },
  grant_not_found: { status: 404, title: 'Grant not found' },
  // 405/406/409/413/415/422/423/429
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  conflict: { status: 409, title: 'Conflict with an existing row' },
  idempotency_conflict: { status: 409, title: 'Idempotency key reused with another request' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  request_too_large: { status: 431, title: 'Request line or headers too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  guardrail_violation: { status: 422, title: 'Guardrail refused the write' },
  writer_paused: { status: 423, title: 'Writer paused by the anomaly breaker' },
  rate_limited: { status: 429, title: 'Write quota exceeded' },
  auth_rate_limited: { status: 429, title: 'Too many failed authentications' },
  read_rate_limited: { status: 429, title: 'Read rate limit exceeded' },
  not_acceptable: { status: 406, title: 'No acceptable answer format' },
  // guardrails (issue 5)
  idempotency_in_progress: { status: 409, title: 'A request with this idempotency key is still running' },
  invalid_idempotency_key: { status: 400, title: 'Invalid Idempotency-Key header' },
  self_resume: { status: 403, title: 'Separation of duties: nobody resumes their own pause' },
  pause_not_found: { status: 404, title: 'Pause not found' },
  pause_not_active: { status: 409, title: 'The pause was already resumed' },
  // audit (issue 3)
  invalid_cursor: { status: 400, title: 'Invalid cursor' },
  invalid_audit_query: { status: 400, title: 'Invalid audit query' },
  // least privilege (issue 4)
  not_suspended: { status: 404, title: 'Subject not suspended' },
  already_suspended: { status: 409, title: 'Subject already suspended' },
  // sharing (issue 15)
  column_confidential: { status: 403, title: 'Confidential columns are never shared' },
  share_not_found: { status: 404, title: 'Share not found' },
  recipient_not_found: { status: 404, title: 'Recipient not found' },
  share_deleted: { status: 403, title: 'The share was deleted' },
  share_file_expired: { status: 403, title: 'The file URL has expired or is not valid' },
  share_file_gone: { status: 404, title: 'The file is no longer kept; query the table again' },
  snapshot_too_large: { status: 400, title: 'Shared table larger than a snapshot may be' },
  // 5xx
  internal: { status: 500, title: 'Internal error' },
  store_unavailable: { status: 503, title: 'Data store unavailable' },
  audit_unavailable: { status: 503, title: 'Audit log unavailable: request refused' },
  not_ready: { status: 503, title: 'Gateway not ready' },
  idp_unavailable: { status: 503, title: 'Identity provider unavailable: token not verified' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class GatewayError extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly code: ErrorCode,
    detail: string,
    /** Extra members of the problem document (for example `missing` on a 403). */
    readonly extra: Record<string, unknown> = {},
    /** The fault behind the answer (a driver error, say): logged with the request id, never sent. */
    cause?: unknown,
  ) {
    // An answer, not a fault: no stack trace is captured (it was a measurable share of every
    // refusal's CPU; where one is logged its code and message say what happened; other errors keep theirs).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(detail, cause === undefined ? undefined : { cause });
    } finally {
      Error.stackTraceLimit = limit;
    }
    this.name = 'GatewayError';
    this.status = ERRORS[code].status;
    this.title = ERRORS[code].title;
  }
}

/** Shorthand used across the code: `throw fail('forbidden', '...')`. */
export function fail(code: ErrorCode, detail: string, extra?: Record<string, unknown>, cause?: unknown): GatewayError {
  return new GatewayError(code, detail, extra, cause);
}

/** Configuration errors stop start-up with one line; they never reach HTTP. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
