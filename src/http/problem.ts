// The one place errors become HTTP answers: RFC 9457 problem+json with a stable `code`.
// Refusals are audited here (fail closed); unknown errors become a 500 carrying only the request id.
import type { NextFunction, Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { GatewayError, fail, type ErrorCode } from '../errors';
import { recordOutcome } from './audit-request';
import { ctx } from './request-context';

/** body-parser's error types -> our codes. */
const BODY_ERRORS: Record<string, () => GatewayError> = {
  'entity.too.large': () => fail('payload_too_large', 'the request body is larger than 1 MB; send smaller batches'),
  'entity.parse.failed': () => fail('malformed_json', 'the request body is not valid JSON'),
  'encoding.unsupported': () => fail('unsupported_media_type', 'unsupported content encoding'),
  'charset.unsupported': () => fail('unsupported_media_type', 'unsupported charset; send UTF-8 JSON'),
  'request.aborted': () => fail('bad_request', 'the request was aborted'),
};

export function toGatewayError(err: unknown): GatewayError | undefined {
  if (err instanceof GatewayError) return err;
  // Express fails to decode a path parameter such as /v1/grants/%E0%A4%A: bad input, not a 500.
  if (err instanceof URIError) return fail('bad_request', 'the URL path is not valid percent-encoding');
  const type = (err as { type?: string })?.type;
  if (type && BODY_ERRORS[type]) return BODY_ERRORS[type]();
  return undefined;
}

/** WWW-Authenticate's error_description per code: fixed ASCII, never the detail (which could name a subject). */
const CHALLENGES: Partial<Record<ErrorCode, string>> = {
  invalid_token: 'the token is invalid',
  token_expired: 'the token has expired',
  token_not_yet_valid: 'the token is not valid yet',
  token_revoked: 'the token has been revoked',
  subject_suspended: 'the subject is suspended',
};

export function sendProblem(res: Response, err: GatewayError, instance: string): void {
  if (err.code === 'missing_token') res.setHeader('WWW-Authenticate', 'Bearer realm="meshguard"');
  else if (err.status === 401) {
    res.setHeader('WWW-Authenticate', `Bearer realm="meshguard", error="invalid_token", error_description="${CHALLENGES[err.code] ?? 'authentication failed'}"`);
  }
  // A refusal that knows when to come back (a write quota) says so the way HTTP clients read it.
  const retryAfter = err.extra.retryAfterSeconds;
  if ((err.status === 429 || err.status === 503) && typeof retryAfter === 'number') res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfter))));
  res.status(err.status).type('application/problem+json').send(JSON.stringify(problemBody(err, instance, ctx(res)?.requestId)));
}

/** The RFC 9457 document of an error (also written at the end of a stream that has to stop). */
export function problemBody(err: GatewayError, instance: string, requestId: string | undefined): Record<string, unknown> {
  return {
    type: `urn:meshguard:problem:${err.code}`,
    title: err.title,
    status: err.status,
    detail: err.message,
    code: err.code,
    instance,
    requestId,
    ...err.extra,
  };
}

/** How an error is written: problem+json, or (under /delta-sharing/) the protocol's own JSON. */
export type ErrorRenderer = (res: Response, err: GatewayError, instance: string) => void;

export function problemHandler(deps: AppDeps, render: ErrorRenderer = sendProblem) {
  return async (err: unknown, req: Request, res: Response, _next: NextFunction): Promise<void> => {
    let known = toGatewayError(err);
    let answer = known ?? fail('internal', `internal error; quote request id ${ctx(res)?.requestId} to the operators`, {}, err);
    const c = ctx(res);
    // Audit at the outermost layer: every refusal of every path, whatever its spelling, is recorded
    // (with the subject once authentication has named one); only the public /healthz is not.
    if (c && c.audited && c.auditId !== undefined && !res.headersSent && !c.public) {
      // The request was recorded as allowed, then failed (say the data store's commit): record that
      // it did not take effect, so no entry is left claiming a change that rolled back.
      try {
        await recordOutcome(deps, req, res, {
          decision: 'deny',
          reason: `${answer.code}: ${answer.message}`.slice(0, 500),
          status: answer.status,
          details: { voids: c.auditId },
        });
      } catch (e) {
        answer = e as GatewayError;
      }
    } else if (c && !c.audited && !c.public) {
      try {
        await recordOutcome(deps, req, res, {
          decision: 'deny',
          reason: `${answer.code}: ${answer.message}`.slice(0, 500),
          status: answer.status,
        });
      } catch (e) {
        answer = e as GatewayError;
      }
    }
    // Every 5xx reaches the log with the fault behind it (a driver error, say) and the request id.
    if (answer.status >= 500) deps.logger.error({ err: answer.cause ?? answer, requestId: ctx(res)?.requestId, code: answer.code }, answer.message);
    if (c) c.problem = answer.code;
    if (res.headersSent) return void res.end();
    render(res, answer, req.originalUrl.split('?')[0]);
  };
}

export function notFound(_req: Request, _res: Response): never {
  throw fail('not_found', 'no such endpoint; see the README for the API');
}
