// Retention: deletes the entries older than a date, after writing a signed checkpoint of the last
// deleted entry, so the entries that remain still verify. The part to delete is verified first (a
// checkpoint must never vouch for a tampered section), and the prune is itself an audit entry,
// committed in the same transaction as the checkpoint and the deletion.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Dialect } from '../state/open-state';
import type { AuditLog } from './audit-log';
import { publicKeyText, signCheckpoint, type SigningKey } from './signing-key';
import { latestCheckpoint, verifyChain } from './verify-chain';

export interface PruneDeps {
  knex: Knex;
  dialect: Dialect;
  audit: AuditLog;
  key: SigningKey;
  policyVersion: string | null;
}

export interface PruneResult {
  pruned: number;
  /** The last deleted entry (the new checkpoint), or null when nothing was old enough. */
  throughId: number | null;
  auditId: number;
}

export class PruneRefused extends Error {}

export async function pruneAudit(d: PruneDeps, before: Date, now: Date, actor: string): Promise<PruneResult> {
  const plan = async (db: Knex | Knex.Transaction) => {
    const cpThrough = (await latestCheckpoint(db))?.throughId ?? 0;
    const head = await db('mg_audit_head').where({ id: 1 }).first('last_id');
    const firstKept = await db('mg_audit').where('id', '>', cpThrough).andWhere('ts', '>=', before.getTime()).min({ id: 'id' }).first();
    const through = firstKept?.id !== null && firstKept?.id !== undefined ? Number(firstKept.id) - 1 : Number(head.last_id);
    return { cpThrough, through };
  };

  // Verify what is about to be deleted before the transaction, so appends are not held up meanwhile.
  const first = await plan(d.knex);
  if (first.through > first.cpThrough) {
    const report = await verifyChain(d.knex, { publicKey: d.key.publicKey, through: first.through });
    if (!report.ok) throw new PruneRefused(`the audit chain is broken at entry ${report.firstBroken}; nothing was pruned (run audit-verify)`);
  }

  return d.knex.transaction(async (trx) => {
    // Take the chain lock first, as an append does, so the plan cannot change under us.
    if (d.dialect === 'sqlite') await trx('mg_audit_head').where({ id: 1 }).update({ id: 1 });
    else await trx('mg_audit_head').where({ id: 1 }).forUpdate().first('id');
    const current = await plan(trx);
    if (current.cpThrough !== first.cpThrough) throw new PruneRefused('another prune ran meanwhile; run the prune again');
    const { cpThrough } = current;
    // Never delete past what was verified (entries appended meanwhile stay).
    const through = Math.min(current.through, first.through);
    let pruned = 0;
    if (through > cpThrough) {
      const last = await trx('mg_audit').where({ id: through }).first('hash', 'ts');
      if (!last) throw new PruneRefused(`audit entry ${through} is missing; nothing was pruned (run audit-verify)`);
      pruned = Number((await trx('mg_audit').where('id', '>', cpThrough).andWhere('id', '<=', through).count({ n: '*' }).first())!.n);
      const payload = { throughId: through, throughHash: last.hash as string, throughTs: Number(last.ts), pruned, createdAt: now.getTime() };
      await trx('mg_audit_checkpoints').insert({
        through_id: payload.throughId,
        through_hash: payload.throughHash,
        through_ts: payload.throughTs,
        pruned,
        created_at: payload.createdAt,
        public_key: publicKeyText(d.key.publicKey),
        signature: signCheckpoint(d.key, payload),
      });
      await trx('mg_audit').where('id', '<=', through).del();
    }
    const auditId = await d.audit.recordIn(trx, {
      ts: now,
      requestId: crypto.randomUUID(),
      subject: actor,
      action: 'audit_prune',
      resource: 'audit',
      decision: 'allow',
      reason: `retention: entries before ${before.toISOString()}`,
      status: 200,
      rowCount: pruned,
      policyVersion: d.policyVersion,
      details: { before: before.toISOString(), throughId: pruned ? through : null, pruned },
    });
    return { pruned, throughId: pruned ? through : null, auditId };
  });
}
