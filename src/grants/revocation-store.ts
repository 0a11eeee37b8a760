// Token revocations (one token by jti, or every token of a subject issued before an instant) and
// subject suspensions. Every change bumps its version counter in the same transaction; a revocation
// is pruned once every token it names has expired (tokens live at most MESHGUARD_TOKEN_MAX_AGE).
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { bumpVersion } from './state-versions';
import { isoFromStored } from '../state/stored-time';

export interface Revocation {
  id: string;
  jti: string | null;
  subject: string | null;
  issuedBefore: string | null;
  reason: string;
  createdBy: string;
  createdAt: string;
  pruneAfter: string;
}

export interface Suspension {
  subject: string;
  reason: string;
  createdBy: string;
  createdAt: string;
}

interface RevocationRow {
  id: string;
  jti: string | null;
  subject: string | null;
  issued_before: number | string | null;
  reason: string;
  created_by: string;
  created_at: number | string;
  prune_after: number | string;
}

interface SuspensionRow {
  subject: string;
  reason: string;
  created_by: string;
  created_at: number | string;
}


const toRevocation = (r: RevocationRow): Revocation => ({
  id: r.id,
  jti: r.jti,
  subject: r.subject,
  issuedBefore: isoFromStored(r.issued_before),
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: isoFromStored(r.created_at),
  pruneAfter: isoFromStored(r.prune_after),
});

const toSuspension = (r: SuspensionRow): Suspension => ({ subject: r.subject, reason: r.reason, createdBy: r.created_by, createdAt: isoFromStored(r.created_at) });

export type NewRevocation = { reason: string; createdBy: string; pruneAfter: Date } & ({ jti: string } | { subject: string; issuedBefore: Date });

export class RevocationStore {
  constructor(private readonly knex: Knex) {}

  async revoke(r: NewRevocation, now: Date, trx: Knex.Transaction): Promise<Revocation> {
    const row: RevocationRow = {
      id: crypto.randomUUID(),
      jti: 'jti' in r ? r.jti : null,
      subject: 'subject' in r ? r.subject : null,
      issued_before: 'issuedBefore' in r ? r.issuedBefore.getTime() : null,
      reason: r.reason,
      created_by: r.createdBy,
      created_at: now.getTime(),
      prune_after: r.pruneAfter.getTime(),
    };
    await trx('mg_revocations').insert(row);
    await bumpVersion(trx, 'revocations_version');
    return toRevocation(row);
  }

  /** Deletes revocations whose tokens have all expired. No version bump: nothing they name can still be presented. */
  async prune(now: Date, trx?: Knex.Transaction): Promise<number> {
    return (trx ?? this.knex)('mg_revocations').where('prune_after', '<', now.getTime()).delete();
  }

  async list(trx?: Knex.Transaction): Promise<Revocation[]> {
    const rows: RevocationRow[] = await (trx ?? this.knex)('mg_revocations').orderBy('created_at', 'desc');
    return rows.map(toRevocation);
  }

  async suspensions(trx?: Knex.Transaction): Promise<Suspension[]> {
    const rows: SuspensionRow[] = await (trx ?? this.knex)('mg_suspensions').orderBy('created_at');
    return rows.map(toSuspension);
  }

  async suspension(subject: string, trx?: Knex.Transaction): Promise<Suspension | undefined> {
    const row: SuspensionRow | undefined = await (trx ?? this.knex)('mg_suspensions').where({ subject }).first();
    return row && toSuspension(row);
  }

  /** Suspends a subject; undefined if it already was. */
  async suspend(subject: string, reason: string, by: string, now: Date, trx: Knex.Transaction): Promise<Suspension | undefined> {
    const row: SuspensionRow = { subject, reason, created_by: by, created_at: now.getTime() };
    // ON CONFLICT DO NOTHING: a concurrent suspension of the same subject is "already suspended", not a 503.
    await trx('mg_suspensions').insert(row).onConflict('subject').ignore();
    const stored = await this.suspension(subject, trx);
    if (!stored || stored.createdBy !== by || stored.reason !== reason || Date.parse(stored.createdAt) !== row.created_at) return undefined;
    await bumpVersion(trx, 'suspensions_version');
    return stored;
  }

  /** Lifts a suspension; the suspension lifted, or undefined if there was none. */
  async resume(subject: string, trx: Knex.Transaction): Promise<Suspension | undefined> {
    const before = await this.suspension(subject, trx);
    if (!before) return undefined;
    await trx('mg_suspensions').where({ subject }).delete();
    await bumpVersion(trx, 'suspensions_version');
    return before;
  }
}
