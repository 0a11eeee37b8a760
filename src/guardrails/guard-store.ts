// The guardrails' state, in the state store so every gateway process shares it: the write log
// (quotas, breaker figures), each writer's baseline, and writer pauses. admit() runs the stateful
// checks under a per-writer lock and reserves the batch in the log before the data write starts.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { AuditInput } from '../audit/audit-entry';
import type { AuditLog } from '../audit/audit-log';
import { fail } from '../errors';
import type { Dialect } from '../state/open-state';
import { breakerTrip, figuresOf, type Figures, type Trip } from './breaker';
import type { BatchStats } from './check-batch';
import type { GuardLimits } from './guard-limits';
import { isoFromStored } from '../state/stored-time';

export interface Pause {
  id: string;
  subject: string;
  domain: string;
  dataset: string;
  reason: string;
  details: Record<string, unknown> | null;
  createdAt: string;
  resumedAt: string | null;
  resumedBy: string | null;
  resumeReason: string | null;
}

interface PauseRow {
  id: string;
  subject: string;
  domain: string;
  dataset: string;
  reason: string;
  details: string | null;
  created_at: number | string;
  resumed_at: number | string | null;
  resumed_by: string | null;
  resume_reason: string | null;
}

const toPause = (r: PauseRow): Pause => ({
  id: r.id,
  subject: r.subject,
  domain: r.domain,
  dataset: r.dataset,
  reason: r.reason,
  details: r.details ? JSON.parse(r.details) : null,
  createdAt: isoFromStored(r.created_at),
  resumedAt: isoFromStored(r.resumed_at),
  resumedBy: r.resumed_by,
  resumeReason: r.resume_reason,
});

export interface AdmitInput {
  subject: string;
  domain: string;
  dataset: string;
  limits: GuardLimits;
  rows: number;
  stats: BatchStats;
  now: Date;
  /** Check only: no reservation, and the breaker neither learns nor trips. */
  dryRun: boolean;
  /** The audit entry of a pause, committed with it. */
  pauseAudit: (pause: Pause, trip: Trip) => AuditInput;
}

export type Admission = { reservation?: number } | { paused: Pause; trip: Trip };

/** Write-log entries older than this are never read again. */
const MIN_RETENTION_MS = 2 * 86_400_000;

export class GuardStore {
  constructor(
    private readonly knex: Knex,
    private readonly dialect: Dialect,
    private readonly audit: AuditLog,
  ) {}

  async activePause(subject: string, dataset: string, trx?: Knex.Transaction): Promise<Pause | undefined> {
    const row = await (trx ?? this.knex)<PauseRow>('mg_guard_pauses').where({ subject, dataset }).whereNull('resumed_at').orderBy('created_at').first();
    return row && toPause(row);
  }

  async pauses(filter: { domains?: string[]; active?: boolean }): Promise<Pause[]> {
    const q = this.knex<PauseRow>('mg_guard_pauses').orderBy('created_at', 'desc').limit(1000);
    if (filter.domains) q.whereIn('domain', filter.domains);
    if (filter.active) q.whereNull('resumed_at');
    return (await q).map(toPause);
  }

  async getPause(id: string): Promise<Pause | undefined> {
    const row = await this.knex<PauseRow>('mg_guard_pauses').where({ id }).first();
    return row && toPause(row);
  }

  /** Rows written by `subject` (or everyone) to `dataset` since `since`. */
  async rowsSince(dataset: string, since: number, subject?: string, trx?: Knex.Transaction): Promise<number> {
    const q = (trx ?? this.knex)('mg_guard_writes').where({ dataset }).andWhere('ts', '>', since).sum({ n: 'rows' });
    if (subject) q.andWhere({ subject });
    const [{ n }] = await q;
    return Number(n ?? 0);
  }

  async usageBySubject(dataset: string, since: number): Promise<Record<string, number>> {
    const rows = await this.knex('mg_guard_writes').where({ dataset }).andWhere('ts', '>', since).groupBy('subject').select('subject').sum({ n: 'rows' });
    return Object.fromEntries((rows as { subject: string; n: unknown }[]).map((r) => [r.subject, Number(r.n)]));
  }

  /** Takes the writer's lock row for the rest of the transaction (shared by every process). */
  private async lockWriter(trx: Knex.Transaction, subject: string, dataset: string) {
    await trx('mg_guard_writers').insert({ subject, dataset }).onConflict(['subject', 'dataset']).ignore();
    const q = trx('mg_guard_writers').where({ subject, dataset }).first();
    return this.dialect === 'postgres' ? q.forUpdate() : q;
  }

  async admit(a: AdmitInput): Promise<Admission> {
    const now = a.now.getTime();
    return this.knex.transaction(async (trx): Promise<Admission> => {
      const writer = await this.lockWriter(trx, a.subject, a.dataset);
      const paused = await this.activePause(a.subject, a.dataset, trx);
      if (paused) throw this.pausedError(paused);
      for (const q of a.limits.quotas) {
        const used = await this.rowsSince(a.dataset, now - q.per, a.subject, trx);
        if (used + a.rows > q.rows) {
          const oldest = await trx('mg_guard_writes').where({ subject: a.subject, dataset: a.dataset }).andWhere('ts', '>', now - q.per).min({ ts: 'ts' }).first();
          throw fail('rate_limited', `quota of ${q.rows} rows per ${q.per / 1000} s (${q.source}): ${used} used, this write has ${a.rows}`, {
            guardrail: 'quota',
            limit: q.rows,
            windowSeconds: q.per / 1000,
            used,
            // When the oldest write in the window leaves it (more may be needed for a large batch).
            retryAfterSeconds: Math.max(1, Math.ceil((Number(oldest?.ts ?? now) + q.per - now) / 1000)),
          });
        }
      }
      const b = a.limits.breaker;
      if (b && !a.dryRun) {
        const start = Math.floor(now / b.window) * b.window;
        let baseline: Figures | undefined;
        if (writer?.baseline_at !== null && writer?.baseline_at !== undefined && now - Number(writer.baseline_at) < b.baselineTtl) {
          baseline = { rows: Number(writer.baseline_rows), means: JSON.parse(writer.baseline_means) };
        } else {
          baseline = await this.learnBaseline(trx, a, start, b.window, b.baselineTtl);
        }
        if (baseline) {
          const current = figuresOf([...(await this.entries(trx, a.subject, a.dataset, start)), { rows: a.rows, stats: a.stats }]);
          const trip = breakerTrip(baseline, current, b.factor, b.minRows);
          if (trip) return { paused: await this.pause(trx, a, trip, baseline, current), trip };
        }
      }
      await trx('mg_guard_writes').where({ subject: a.subject, dataset: a.dataset }).andWhere('ts', '<', now - Math.max(MIN_RETENTION_MS, ...a.limits.quotas.map((q) => q.per))).delete();
      if (a.dryRun) return {};
      const [row] = await trx('mg_guard_writes').insert({ subject: a.subject, dataset: a.dataset, ts: now, rows: a.rows, stats: JSON.stringify(a.stats) }, ['id']);
      return { reservation: Number(typeof row === 'object' ? row.id : row) };
    });
  }

  /** The write did not happen: its reservation no longer counts. */
  async release(reservation: number | undefined): Promise<void> {
    if (reservation !== undefined) await this.knex('mg_guard_writes').where({ id: reservation }).delete();
  }

  pausedError(p: Pause) {
    return fail('writer_paused', `writes by ${p.subject} to ${p.dataset} are paused by the anomaly breaker since ${p.createdAt}; an admin or the domain's steward can resume them`, {
      pauseId: p.id,
    });
  }

  private async entries(trx: Knex.Transaction, subject: string, dataset: string, from: number, to = Infinity) {
    const q = trx('mg_guard_writes').where({ subject, dataset }).andWhere('ts', '>=', from).select('rows', 'stats', 'ts');
    if (to !== Infinity) q.andWhere('ts', '<', to);
    return (await q).map((r: { rows: unknown; stats: string; ts: unknown }) => ({ rows: Number(r.rows), stats: JSON.parse(r.stats) as BatchStats, ts: Number(r.ts) }));
  }

  /** The baseline is the figures of the writer's last complete window (none yet: nothing to compare). */
  private async learnBaseline(trx: Knex.Transaction, a: AdmitInput, currentStart: number, window: number, ttl: number): Promise<Figures | undefined> {
    const last = await trx('mg_guard_writes')
      .where({ subject: a.subject, dataset: a.dataset })
      .andWhere('ts', '<', currentStart)
      .andWhere('ts', '>=', currentStart - ttl)
      .max({ ts: 'ts' })
      .first();
    if (!last || last.ts === null || last.ts === undefined) return undefined;
    const start = Math.floor(Number(last.ts) / window) * window;
    const baseline = figuresOf(await this.entries(trx, a.subject, a.dataset, start, start + window));
    await trx('mg_guard_writers')
      .where({ subject: a.subject, dataset: a.dataset })
      .update({ baseline_window: start, baseline_rows: baseline.rows, baseline_means: JSON.stringify(baseline.means), baseline_at: a.now.getTime() });
    return baseline;
  }

  private async pause(trx: Knex.Transaction, a: AdmitInput, trip: Trip, baseline: Figures, current: Figures): Promise<Pause> {
    const row: PauseRow = {
      id: crypto.randomUUID(),
      subject: a.subject,
      domain: a.domain,
      dataset: a.dataset,
      reason: `anomaly breaker: ${trip.figure} moved from ${round(trip.baseline)} to ${round(trip.current)} (factor ${trip.factor})`,
      details: JSON.stringify({ trip, baseline, current }),
      created_at: a.now.getTime(),
      resumed_at: null,
      resumed_by: null,
      resume_reason: null,
    };
    await trx('mg_guard_pauses').insert(row);
    const pause = toPause(row);
    await this.audit.recordIn(trx, a.pauseAudit(pause, trip));
    return pause;
  }

  /** Resumes a pause and forgets the writer's baseline (it is re-learnt), with its audit entry. */
  async resume(id: string, by: string, reason: string, now: Date, audit: (before: Pause, after: Pause) => AuditInput): Promise<Pause> {
    return this.knex.transaction(async (trx) => {
      const q = trx<PauseRow>('mg_guard_pauses').where({ id }).first();
      const row = await (this.dialect === 'postgres' ? q.forUpdate() : q);
      if (!row) throw fail('pause_not_found', `no pause ${id}`);
      if (row.resumed_at !== null) throw fail('pause_not_active', `pause ${id} was resumed at ${isoFromStored(row.resumed_at)}`);
      await trx('mg_guard_pauses').where({ id }).update({ resumed_at: now.getTime(), resumed_by: by, resume_reason: reason });
      await trx('mg_guard_writers').where({ subject: row.subject, dataset: row.dataset }).update({ baseline_window: null, baseline_rows: null, baseline_means: null, baseline_at: null });
      const after = toPause({ ...row, resumed_at: now.getTime(), resumed_by: by, resume_reason: reason });
      await this.audit.recordIn(trx, audit(toPause(row), after));
      return after;
    });
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
