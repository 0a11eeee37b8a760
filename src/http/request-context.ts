// Per-request context: request id (echoed as X-Request-Id), start time, and, once known, the caller
// and what the audit entry should name. Kept in res.locals with one typed accessor.
import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Principal } from '../auth/verify-token';
import type { Access } from '../grants/access-resolver';

export interface RequestContext {
  requestId: string;
  startedAt: bigint;
  /** The client's address as Express reads it (req.ip), read once: each read parses forwarding headers. */
  ip: string | null;
  principal?: Principal;
  /** sharing (issue 15): a Delta Sharing recipient (`recipient:<name>`), never a JWT subject. */
  recipient?: string;
  access?: Access;
  /** What the request is doing, for the audit entry; set by the route as soon as it knows. */
  action?: string;
  resource?: string | null;
  /** Columns named in the audit entry when the request is refused. */
  columns?: string[];
  fingerprint?: string;
  /** A public route (/healthz): its answers decide nothing about anyone, so they are not audited. */
  public?: boolean;
  /** Set once the request's audit entry has been written. */
  audited?: boolean;
  /** The problem code the request was answered with, if it was refused (for the metrics). */
  problem?: string;
  /** The id of that entry, so a failure after it (a write whose commit fails) can be recorded against it. */
  auditId?: number;
}

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export function ctx(res: Response): RequestContext {
  return res.locals.mg as RequestContext;
}

export function requestContext(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.get('x-request-id');
  const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : crypto.randomUUID();
  res.locals.mg = { requestId, startedAt: process.hrtime.bigint(), ip: req.ip ?? null } satisfies RequestContext;
  res.setHeader('X-Request-Id', requestId);
  next();
}

export function elapsedMs(c: RequestContext): number {
  return Number(process.hrtime.bigint() - c.startedAt) / 1e6;
}
