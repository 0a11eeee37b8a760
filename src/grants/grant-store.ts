// The grants store: who holds which role on which domain, until when. Every change bumps the
// grants version in the same transaction, which is what invalidates cached abilities everywhere.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Grant } from './grant-types';
import { bumpVersion } from './state-versions';
import { isoFromStored } from '../state/stored-time';

interface GrantRow {
  id: string;
  subject: string;
  role: string;
  domain: string;
  reason: string;
  created_by: string;
  created_at: number | string;
  expires_at: number | string | null;
  revoked_at: number | string | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  last_used_at: number | string | null;
  last_write_at?: number | string | null;
}


function toGrant(r: GrantRow): Grant {
  return {
    id: r.id,
    subject: r.subject,
    role: r.role,
    domain: r.domain,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: isoFromStored(r.created_at),
    expiresAt: isoFromStored(r.expires_at),
    revokedAt: isoFromStored(r.revoked_at),
    revokedBy: r.revoked_by,
    revokeReason: r.revoke_reason,
    lastUsedAt: isoFromStored(r.last_used_at),
    lastWriteAt: isoFromStored(r.last_write_at ?? null),
  };
}

export interface NewGrant {
  subject: string;
  role: string;
  domain: string;
  reason: string;
  createdBy: string;
  expiresAt: Date | null;
}

export class GrantStore {
  constructor(private readonly knex: Knex) {}

  /** Grants in force at `now`: not revoked, not expired. */
  async active(subject: string, now: Date, trx?: Knex.Transaction): Promise<Grant[]> {
    const rows = await (trx ?? this.knex)<GrantRow>('mg_grants')
      .where({ subject })
      .whereNull('revoked_at')
      .andWhere((q) => q.whereNull('expires_at').orWhere('expires_at', '>', now.getTime()))
      .orderBy('created_at');
    return rows.map(toGrant);
  }

  async get(id: string, trx?: Knex.Transaction): Promise<Grant | undefined> {
    const row = await (trx ?? this.knex)<GrantRow>('mg_grants').where({ id }).first();
    return row && toGrant(row);
  }

  async list(filter: { subject?: string; domain?: string; includeRevoked?: boolean }, trx?: Knex.Transaction): Promise<Grant[]> {
    const q = (trx ?? this.knex)<GrantRow>('mg_grants').orderBy('created_at', 'desc').limit(10000);
    if (filter.subject) q.where('subject', filter.subject);
    if (filter.domain) q.where('domain', filter.domain);
    if (!filter.includeRevoked) q.whereNull('revoked_at');
    return (await q).map(toGrant);
  }

  async create(g: NewGrant, now: Date, trx: Knex.Transaction): Promise<Grant> {
    const row: GrantRow = {
      id: crypto.randomUUID(),
      subject: g.subject,
      role: g.role,
      domain: g.domain,
      reason: g.reason,
      created_by: g.createdBy,
      created_at: now.getTime(),
      expires_at: g.expiresAt ? g.expiresAt.getTime() : null,
      revoked_at: null,
      revoked_by: null,
      revoke_reason: null,
      last_used_at: null,
      last_write_at: null,
    };
    await trx('mg_grants').insert(row);
    await this.bumpVersion(trx);
    return toGrant(row);
  }

  async revoke(id: string, by: string, reason: string | null, now: Date, trx: Knex.Transaction): Promise<Grant | undefined> {
    const n = await trx('mg_grants')
      .where({ id })
      .whereNull('revoked_at')
      .update({ revoked_at: now.getTime(), revoked_by: by, revoke_reason: reason });
    if (n === 0) return undefined;
    await this.bumpVersion(trx);
    return this.get(id, trx);
  }

  /** Sets a new expiry (renewal); undefined if the grant is revoked or unknown. */
  async renew(id: string, expiresAt: Date, trx: Knex.Transaction): Promise<Grant | undefined> {
    const n = await trx('mg_grants').where({ id }).whereNull('revoked_at').update({ expires_at: expiresAt.getTime() });
    if (n === 0) return undefined;
    await this.bumpVersion(trx);
    return this.get(id, trx);
  }

  /** Records when grants last authorised a request (batched by GrantUsage). Never moves back in time,
   *  and bumps no version: usage changes no decision, so caches stay warm. */
  async recordUsage(usage: Map<string, { usedAt: number; writeAt: number | null }>): Promise<void> {
    if (usage.size === 0) return;
    await this.knex.transaction(async (trx) => {
      for (const [id, u] of usage) {
        await trx('mg_grants')
          .where({ id })
          .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', u.usedAt))
          .update({ last_used_at: u.usedAt });
        if (u.writeAt !== null) {
          await trx('mg_grants')
            .where({ id })
            .andWhere((q) => q.whereNull('last_write_at').orWhere('last_write_at', '<', u.writeAt!))
            .update({ last_write_at: u.writeAt });
        }
      }
    });
  }

  /** The grants version: changes whenever any grant changes, on any process sharing the store. */
  async version(): Promise<number> {
    const row = await this.knex('mg_counters').where({ name: 'grants_version' }).first('value');
    return Number(row?.value ?? 0);
  }

  private async bumpVersion(trx: Knex.Transaction): Promise<void> {
    await bumpVersion(trx, 'grants_version');
  }
}
