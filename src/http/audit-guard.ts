// The outermost audit door: every answer of every path (but the public /healthz) leaves with its
// entry. Routes record their decision before answering and the problem handler records every
// refusal; this guard sees the status line go out, and if no entry was written for the request (an
// answer Express makes by itself, or a route that forgot) it records one and logs the gap, so nothing
// answered is ever missing from the log. It is the app's own writeHead (on the prototype Express gives
// every response of the app), so no request pays for a wrapper of its own.
import http from 'node:http';
import type { Express, Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { recordOutcome } from './audit-request';
import { ctx } from './request-context';

export function installAuditGuard(app: Express, deps: AppDeps): void {
  const writeHead = http.ServerResponse.prototype.writeHead;
  function guardedWriteHead(this: Response, ...args: unknown[]) {
    const c = ctx(this);
    if (c && !c.audited && !c.public) {
      c.audited = true;
      const req = this.req as Request;
      const status = this.statusCode;
      if (status < 400 && req.method !== 'OPTIONS') deps.logger.error({ requestId: c.requestId, method: req.method, path: req.path, status }, 'an answer left without its audit entry; recorded by the audit guard');
      void recordOutcome(deps, req, this, {
        decision: status < 400 ? 'allow' : 'deny',
        reason: `answered ${status} without a decision entry of its own (recorded by the audit guard)`,
        status,
      }).catch((err) => deps.logger.error({ err, requestId: c.requestId }, 'the audit guard could not record an answer'));
    }
    return (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
  }
  Object.defineProperty(app.response, 'writeHead', { value: guardedWriteHead, writable: true, configurable: true });
}
