// The Idempotency-Key header (issue 5): a retried write gets the first answer and writes nothing.
// Keys are per subject; the same key with another request is a 409, as is a key whose first request
// is still running. A request that fails releases its key, so the client may retry it.
import type { Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { fail } from '../errors';
import { requestHash } from '../guardrails/idempotency-store';
import { recordOutcome } from './audit-request';
import { ctx } from './request-context';

const KEY = /^[\x21-\x7e]{1,255}$/;

export interface Answer {
  status: number;
  body: unknown;
}

export async function answerIdempotently(deps: AppDeps, req: Request, res: Response, run: () => Promise<Answer>): Promise<void> {
  const key = req.get('idempotency-key');
  if (key === undefined) {
    const a = await run();
    res.status(a.status).json(a.body);
    return;
  }
  if (!KEY.test(key)) throw fail('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  const subject = ctx(res).principal!.subject;
  const hash = requestHash([req.method, req.path, Object.entries(req.query).sort(), req.body]);
  const claim = await deps.guard.idempotency.claim(subject, key, hash, deps.clock.now());
  if (claim.kind === 'replay') {
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'idempotent replay: the first answer, nothing written', status: claim.status, details: { idempotencyKey: key } });
    res.status(claim.status).setHeader('Idempotent-Replayed', 'true').json(claim.body);
    return;
  }
  let a: Answer;
  try {
    a = await run();
  } catch (e) {
    await deps.guard.idempotency.release(subject, key).catch((err) => deps.logger.error({ err }, 'idempotency key release failed'));
    throw e;
  }
  await deps.guard.idempotency.complete(subject, key, a.status, a.body).catch((err) => deps.logger.error({ err }, 'idempotency answer not stored'));
  res.status(a.status).json(a.body);
}
