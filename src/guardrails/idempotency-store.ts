// Idempotency keys, per subject, in the state store (shared by every process) for at least 24 h.
// claim() records a running request; complete() stores its answer; release() forgets a request
// that failed, so the client may retry it. A retry of a finished request gets the first answer.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { fail } from '../errors';

export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;
/** A request still `running` after this long is taken to have died with its process. */
const RUNNING_LEASE_MS = 120_000;

export type Claim = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

export function requestHash(parts: unknown[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string })?.code ?? '';
  return code === '23505' || code.startsWith('SQLITE_CONSTRAINT');
}

export class IdempotencyStore {
  constructor(private readonly knex: Knex) {}

  async claim(subject: string, key: string, hash: string, now: Date): Promise<Claim> {
    const t = now.getTime();
    await this.prune(now);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.knex('mg_idempotency').insert({ subject, key, request_hash: hash, state: 'running', created_at: t, expires_at: t + IDEMPOTENCY_TTL_MS });
        return { kind: 'new' };
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
      const row = await this.knex('mg_idempotency').where({ subject, key }).first();
      if (!row) continue; // released meanwhile: try again
      const stale = Number(row.expires_at) <= t || (row.state === 'running' && t - Number(row.created_at) > RUNNING_LEASE_MS);
      if (stale) {
        await this.knex('mg_idempotency').where({ subject, key, created_at: row.created_at }).delete();
        continue;
      }
      if (row.request_hash !== hash) {
        throw fail('idempotency_conflict', 'this Idempotency-Key was used with a different request; use a new key for a new request');
      }
      if (row.state === 'running') {
        throw fail('idempotency_in_progress', 'the first request with this Idempotency-Key is still running; retry later');
      }
      return { kind: 'replay', status: Number(row.status), body: JSON.parse(row.body) };
    }
    throw fail('idempotency_in_progress', 'this Idempotency-Key is being claimed by another request; retry later');
  }

  async complete(subject: string, key: string, status: number, body: unknown): Promise<void> {
    await this.knex('mg_idempotency').where({ subject, key }).update({ state: 'done', status, body: JSON.stringify(body) });
  }

  async release(subject: string, key: string): Promise<void> {
    await this.knex('mg_idempotency').where({ subject, key, state: 'running' }).delete();
  }

  async prune(now: Date, trx?: Knex.Transaction): Promise<void> {
    await (trx ?? this.knex)('mg_idempotency').where('expires_at', '<', now.getTime()).delete();
  }
}
