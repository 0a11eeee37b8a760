// Recomputes the audit hash chain in keyset batches (bounded memory, whatever the size of the log):
// every entry's hash must cover its content and the previous hash, ids must run without a gap from
// the latest signed checkpoint (or from 1) to the signed chain head. An edited, deleted or reordered
// row, a cut tail, a rewritten head or a forged checkpoint makes `ok` false and names the first
// broken id.
import type crypto from 'node:crypto';
import type { Knex } from 'knex';
import { hashRow, type AuditRow } from './audit-entry';
import { checkpointSignatureOk, headSignatureOk } from './signing-key';

export const GENESIS_HASH = '0'.repeat(64);
const BATCH = 1000;

export interface ChainReport {
  ok: boolean;
  entries: number;
  firstBroken: number | null;
}

export interface Checkpoint {
  id: number;
  throughId: number;
  throughHash: string;
  throughTs: number | null;
  pruned: number;
  createdAt: number;
  publicKey: string;
  signature: string;
}

export async function latestCheckpoint(db: Knex | Knex.Transaction): Promise<Checkpoint | undefined> {
  const r = await db('mg_audit_checkpoints').orderBy('through_id', 'desc').first();
  if (!r) return undefined;
  return {
    id: Number(r.id),
    throughId: Number(r.through_id),
    throughHash: r.through_hash,
    throughTs: r.through_ts === null ? null : Number(r.through_ts),
    pruned: Number(r.pruned),
    createdAt: Number(r.created_at),
    publicKey: r.public_key,
    signature: r.signature,
  };
}

/**
 * `publicKey` verifies the signed chain head and the latest checkpoint (without it, a non-empty log
 * cannot be vouched for);
 * `through` stops at that id instead of the chain head (prune checks what it is about to delete).
 */
export async function verifyChain(db: Knex | Knex.Transaction, opts: { publicKey?: crypto.KeyObject; through?: number } = {}): Promise<ChainReport> {
  const head = await db('mg_audit_head').where({ id: 1 }).first('last_id', 'last_hash', 'head_sig');
  if (!head) return { ok: false, entries: 0, firstBroken: 1 };
  const headId = Number(head.last_id);
  const end = opts.through ?? headId;
  let lastId = 0;
  let prevHash = GENESIS_HASH;
  let firstBroken: number | null = null;
  const cp = await latestCheckpoint(db);
  if (cp) {
    const signed = opts.publicKey && checkpointSignatureOk(opts.publicKey, cp, cp.signature);
    if (!signed || cp.throughId > headId) firstBroken = cp.throughId + 1;
    lastId = cp.throughId;
    prevHash = cp.throughHash;
  }
  let entries = 0;
  for (;;) {
    const rows: AuditRow[] = await db('mg_audit').where('id', '>', lastId).andWhere('id', '<=', end).orderBy('id', 'asc').limit(BATCH);
    for (const row of rows) {
      const id = Number(row.id);
      entries++;
      if (firstBroken === null) {
        if (id !== lastId + 1) firstBroken = lastId + 1; // a deleted entry: the first missing id
        else if (row.prev_hash !== prevHash || hashRow(row) !== row.hash) firstBroken = id;
      }
      lastId = id;
      prevHash = row.hash;
    }
    if (rows.length < BATCH) break;
  }
  if (firstBroken === null && lastId !== end) firstBroken = lastId + 1; // the tail was cut off
  if (firstBroken === null && opts.through === undefined && prevHash !== head.last_hash) firstBroken = headId;
  // The head's signature vouches for the end of the chain (a log never written to has none).
  if (firstBroken === null && opts.through === undefined && headId > 0) {
    if (!opts.publicKey || !headSignatureOk(opts.publicKey, headId, head.last_hash, head.head_sig)) firstBroken = headId;
  }
  return { ok: firstBroken === null, entries, firstBroken };
}
