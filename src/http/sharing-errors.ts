// Errors under /delta-sharing/ answer the protocol's JSON ({ errorCode, message }, PROTOCOL.md), which
// connectors parse, instead of problem+json; the status codes and the auditing are the problem
// handler's (problem.ts), so a refusal here is recorded like any other.
import type { Response } from 'express';
import type { GatewayError } from '../errors';

function errorCode(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'PERMISSION_DENIED';
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 429) return 'RESOURCE_EXHAUSTED';
  if (status >= 500) return 'INTERNAL_ERROR';
  return 'INVALID_PARAMETER_VALUE';
}

export function sendSharingError(res: Response, err: GatewayError): void {
  if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="meshguard-sharing"');
  res
    .status(err.status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ errorCode: errorCode(err.status), message: err.message, code: err.code }));
}
