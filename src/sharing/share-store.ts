// The shares store: shares, their recipients (tokens only as SHA-256 hashes) and the versions of
// each shared table's snapshot. Methods take the caller's transaction, so a change and its audit
// entry commit together.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { isoFromStored } from '../state/stored-time';
import { translateStoreError } from '../stores/translate-error';
import type { Recipient, Share, ShareTable } from './share-types';

type Stored = number | string;

interface ShareRow {
  id: string;
  name: string;
  domain: string;
  tables: string;
  reason: string;
  created_by: string;
  created_at: Stored;
  deleted_at: Stored | null;
  deleted_by: string | null;
  delete_reason: string | null;
}

interface RecipientRow {
  id: string;
  share_id: string;
  name: string;
  token_hash: string;
  reason: string;
  created_by: string;
  created_at: Stored;
  expires_at: Stored;
  revoked_at: Stored | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  last_used_at: Stored | null;
}

export interface TableVersion {
  version: number;
  fileHash: string;
  size: number;
  rows: number;
}

const toShare = (r: ShareRow): Share => ({
  id: r.id,
  name: r.name,
  domain: r.domain,
  tables: JSON.parse(r.tables) as ShareTable[],
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: isoFromStored(r.created_at),
  deletedAt: isoFromStored(r.deleted_at),
  deletedBy: r.deleted_by,
  deleteReason: r.delete_reason,
});

const toRecipient = (r: RecipientRow): Recipient => ({
  id: r.id,
  shareId: r.share_id,
  name: r.name,
  reason: r.reason,
  createdBy: r.created_by,
  createdAt: isoFromStored(r.created_at),
  expiresAt: isoFromStored(r.expires_at),
  revokedAt: isoFromStored(r.revoked_at),
  revokedBy: r.revoked_by,
  revokeReason: r.revoke_reason,
  lastUsedAt: isoFromStored(r.last_used_at),
});

/** A unique key already taken is the typed 409; anything else stays the state store's failure. */
function conflictOr(e: unknown): never {
  const t = translateStoreError(e);
  throw t.code === 'conflict' ? t : e;
}

export class ShareStore {
  constructor(private readonly knex: Knex) {}

  private db(trx?: Knex.Transaction) {
    return trx ?? this.knex;
  }

  async create(s: Omit<Share, 'id' | 'createdAt' | 'deletedAt' | 'deletedBy' | 'deleteReason'>, now: Date, trx: Knex.Transaction): Promise<Share> {
    const row: ShareRow = {
      id: crypto.randomUUID(),
      name: s.name,
      domain: s.domain,
      tables: JSON.stringify(s.tables),
      reason: s.reason,
      created_by: s.createdBy,
      created_at: now.getTime(),
      deleted_at: null,
      deleted_by: null,
      delete_reason: null,
    };
    await trx('mg_shares').insert(row).catch(conflictOr);
    return toShare(row);
  }

  async byName(name: string, trx?: Knex.Transaction): Promise<Share | undefined> {
    const r = await this.db(trx)<ShareRow>('mg_shares').where({ name }).first();
    return r && toShare(r);
  }

  async byId(id: string, trx?: Knex.Transaction): Promise<Share | undefined> {
    const r = await this.db(trx)<ShareRow>('mg_shares').where({ id }).first();
    return r && toShare(r);
  }

  async list(opts: { includeDeleted?: boolean } = {}): Promise<Share[]> {
    const q = this.knex<ShareRow>('mg_shares').orderBy('name');
    if (!opts.includeDeleted) q.whereNull('deleted_at');
    return (await q).map(toShare);
  }

  async markDeleted(id: string, by: string, reason: string, now: Date, trx: Knex.Transaction): Promise<Share | undefined> {
    const n = await trx('mg_shares').where({ id }).whereNull('deleted_at').update({ deleted_at: now.getTime(), deleted_by: by, delete_reason: reason });
    return n ? this.byId(id, trx) : undefined;
  }

  async addRecipient(r: { shareId: string; name: string; tokenHash: string; reason: string; createdBy: string; expiresAt: Date }, now: Date, trx: Knex.Transaction): Promise<Recipient> {
    const row: RecipientRow = {
      id: crypto.randomUUID(),
      share_id: r.shareId,
      name: r.name,
      token_hash: r.tokenHash,
      reason: r.reason,
      created_by: r.createdBy,
      created_at: now.getTime(),
      expires_at: r.expiresAt.getTime(),
      revoked_at: null,
      revoked_by: null,
      revoke_reason: null,
      last_used_at: null,
    };
    await trx('mg_share_recipients').insert(row).catch(conflictOr);
    return toRecipient(row);
  }

  async recipients(shareId: string, trx?: Knex.Transaction): Promise<Recipient[]> {
    return (await this.db(trx)<RecipientRow>('mg_share_recipients').where({ share_id: shareId }).orderBy('name')).map(toRecipient);
  }

  async recipient(shareId: string, name: string, trx?: Knex.Transaction): Promise<Recipient | undefined> {
    const r = await this.db(trx)<RecipientRow>('mg_share_recipients').where({ share_id: shareId, name }).first();
    return r && toRecipient(r);
  }

  async recipientById(id: string): Promise<Recipient | undefined> {
    const r = await this.knex<RecipientRow>('mg_share_recipients').where({ id }).first();
    return r && toRecipient(r);
  }

  /** The recipient holding the token whose hash is `tokenHash`, with that stored hash. */
  async recipientByTokenHash(tokenHash: string): Promise<{ recipient: Recipient; tokenHash: string } | undefined> {
    const r = await this.knex<RecipientRow>('mg_share_recipients').where({ token_hash: tokenHash }).first();
    return r && { recipient: toRecipient(r), tokenHash: r.token_hash };
  }

  async revokeRecipient(id: string, by: string, reason: string, now: Date, trx: Knex.Transaction): Promise<Recipient | undefined> {
    const n = await trx('mg_share_recipients').where({ id }).whereNull('revoked_at').update({ revoked_at: now.getTime(), revoked_by: by, revoke_reason: reason });
    if (!n) return undefined;
    return toRecipient((await trx<RecipientRow>('mg_share_recipients').where({ id }).first())!);
  }

  /** Writes a batch of recipient uses (state/batched-usage.ts); a last use only ever moves forward. */
  async recordRecipientUse(uses: Map<string, number>): Promise<void> {
    await this.knex.transaction(async (trx) => {
      for (const [id, usedAt] of uses) {
        await trx('mg_share_recipients')
          .where({ id })
          .andWhere((q) => q.whereNull('last_used_at').orWhere('last_used_at', '<', usedAt))
          .update({ last_used_at: usedAt });
      }
    });
  }

  async latestVersion(shareId: string, tableId: string): Promise<TableVersion | undefined> {
    const r = await this.knex('mg_share_versions').where({ share_id: shareId, table_id: tableId }).orderBy('version', 'desc').first();
    return r && { version: Number(r.version), fileHash: r.file_hash, size: Number(r.size), rows: Number(r.rows) };
  }

  /**
   * The version of a snapshot with this content: the latest one if its content is the same, else the
   * next number. Two gateways recording at once: the loser of the insert re-reads the winner's.
   */
  async recordVersion(shareId: string, tableId: string, file: { fileHash: string; size: number; rows: number }, now: Date): Promise<TableVersion> {
    for (let attempt = 0; ; attempt++) {
      const latest = await this.latestVersion(shareId, tableId);
      if (latest && latest.fileHash === file.fileHash) return latest;
      const version = (latest?.version ?? -1) + 1;
      try {
        await this.knex('mg_share_versions').insert({ share_id: shareId, table_id: tableId, version, file_hash: file.fileHash, size: file.size, rows: file.rows, created_at: now.getTime() });
        return { version, ...file };
      } catch (e) {
        if (attempt >= 3 || translateStoreError(e).code !== 'conflict') throw e;
      }
    }
  }
}
