// Puts a write through its guardrails (issue 5): the pure checks of the batch, then admission in the
// state store (pause, quotas, anomaly breaker; a reservation in the write log), the write itself,
// and release of the reservation if the write fails. Trips and pauses are logged and alerted.
import type { Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { GatewayError } from '../errors';
import { batchStats, checkRowCount, checkValues } from '../guardrails/check-batch';
import { guardLimits, isGuarded, type GuardLimits } from '../guardrails/guard-limits';
import type { DatasetInfo } from '../policy/load-policies';
import { auditEntry } from './audit-request';
import { ctx } from './request-context';

export interface WriteGuard {
  limits: GuardLimits;
  guarded: boolean;
  /** Runs `write` after admitting `rows` (the values written, JSON form); refuses with 422/423/429. */
  run<T>(rows: readonly Record<string, unknown>[], dryRun: boolean, write: () => Promise<T>): Promise<T>;
  /** 423 when the writer is paused on this dataset: checked before anything else. */
  refuseIfPaused(): Promise<void>;
  /** The steps of run(), for writes that learn their rows inside the transaction (PATCH). */
  admit(rows: readonly Record<string, unknown>[], dryRun: boolean): Promise<void>;
  failed(e: unknown): Promise<void>;
}

export function guardWrite(deps: AppDeps, req: Request, res: Response, ds: DatasetInfo, grantIds: string[]): WriteGuard {
  const c = ctx(res);
  const subject = c.principal!.subject;
  const limits = guardLimits(deps.policies, ds, c.access!.grants, grantIds);
  const guarded = isGuarded(limits);
  const alert = (event: 'guardrail_tripped' | 'writer_paused', detail: string, extra: { guardrail?: string; pauseId?: string }) =>
    deps.guard.alerts.send({ event, at: deps.clock.now().toISOString(), subject, dataset: ds.key, detail, requestId: c.requestId, ...extra });

  let reservation: number | undefined;

  async function refuseIfPaused(): Promise<void> {
    if (!guarded) return;
    const pause = await deps.guard.store.activePause(subject, ds.key);
    if (pause) throw deps.guard.store.pausedError(pause);
  }

  async function admit(rows: readonly Record<string, unknown>[], dryRun: boolean): Promise<void> {
    await refuseIfPaused();
    checkRowCount(limits, rows.length);
    checkValues(limits, rows);
    const admission = await deps.guard.store.admit({
      subject,
      domain: ds.domain,
      dataset: ds.key,
      limits,
      rows: rows.length,
      stats: batchStats(limits, rows),
      now: deps.clock.now(),
      dryRun,
      pauseAudit: (pause, trip) =>
        auditEntry(deps, req, res, { decision: 'deny', action: 'guardrail_pause', resource: ds.key, reason: pause.reason, status: 423, details: { pauseId: pause.id, writer: subject, trip } }),
    });
    if ('paused' in admission) {
      alert('writer_paused', admission.paused.reason, { guardrail: 'breaker', pauseId: admission.paused.id });
      throw deps.guard.store.pausedError(admission.paused);
    }
    reservation = admission.reservation;
  }

  async function failed(e: unknown): Promise<void> {
    await deps.guard.store.release(reservation).catch((err) => deps.logger.error({ err }, 'guardrail reservation not released'));
    reservation = undefined;
    if (e instanceof GatewayError && (e.code === 'guardrail_violation' || e.code === 'rate_limited')) {
      alert('guardrail_tripped', e.message, { guardrail: String(e.extra.guardrail ?? e.code) });
    }
  }

  async function run<T>(rows: readonly Record<string, unknown>[], dryRun: boolean, write: () => Promise<T>): Promise<T> {
    if (!guarded) return write();
    try {
      await admit(rows, dryRun);
      return await write();
    } catch (e) {
      await failed(e);
      throw e;
    }
  }

  return { limits, guarded, run, refuseIfPaused, admit, failed };
}
