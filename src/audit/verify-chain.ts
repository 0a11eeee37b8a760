// Recomputes the audit hash chain in keyset batches (bounded memory, whatever the size of the log):
// every entry's hash must cover its content and the previous hash, ids must run without a gap from
// the latest signed checkpoint (or from 1) to the signed chain head, no entry may lie beyond that head,
// and the head may not be below the data dir's witness. An edited, deleted, reordered or planted row,
// a cut tail, a rewritten, unsigned or rolled-back head, a wiped log or a forged checkpoint makes `ok`
// false and names the first broken id and what is wrong there.
import type crypto from 'node:crypto';
import type { Knex } from 'knex';
import { hashRow, type AuditRow } from './audit-entry';
import { readWitness, type WitnessRead } from './audit-witness';
import { checkpointSignatureOk, headSignatureOk } from './signing-key';

export const GENESIS_HASH = '0'.repeat(64);
const BATCH = 1000;

export interface ChainReport {
  ok: boolean;
  entries: number;
  firstBroken: number | null;
  /** What is wrong at firstBroken (absent when the chain is whole). */
  problem?: string;
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
 * `publicKey` verifies the signed chain head and the latest checkpoint (without it, no log can be
 * vouched for, not even an empty one: the genesis head is signed when the state store is created);
 * `witness` is the data dir's audit witness (audit-witness.ts): a head below it was rolled back or reset;
 * `through` stops at that id instead of the chain head (prune checks what it is about to delete).
 */
export async function verifyChain(db: Knex | Knex.Transaction, opts: { publicKey?: crypto.KeyObject; witness?: WitnessRead; through?: number } = {}): Promise<ChainReport> {
  const head = await db('mg_audit_head').where({ id: 1 }).first('last_id', 'last_hash', 'head_sig');
  if (!head) return broken(0, 1, 'the chain head is missing');
  const headId = Number(head.last_id);
  const end = opts.through ?? headId;
  const witness = opts.through === undefined && opts.witness?.kind === 'head' ? opts.witness.head : undefined;
  let lastId = 0;
  let prevHash = GENESIS_HASH;
  let firstBroken: number | null = null;
  let problem: string | null = null;
  const found = (id: number, why: string) => {
    if (firstBroken === null) [firstBroken, problem] = [id, why];
  };
  const cp = await latestCheckpoint(db);
  if (cp) {
    const signed = opts.publicKey && checkpointSignatureOk(opts.publicKey, cp, cp.signature);
    if (!signed || cp.throughId > headId) found(cp.throughId + 1, 'the retention checkpoint is not signed by this key or lies beyond the head');
    lastId = cp.throughId;
    prevHash = cp.throughHash;
  }
  // The entry the witness names must still be the one it saw (when it was not pruned).
  let witnessHash = witness && cp && cp.throughId === witness.lastId ? cp.throughHash : undefined;
  let entries = 0;
  for (;;) {
    const rows: AuditRow[] = await db('mg_audit').where('id', '>', lastId).andWhere('id', '<=', end).orderBy('id', 'asc').limit(BATCH);
    for (const row of rows) {
      const id = Number(row.id);
      entries++;
      if (id !== lastId + 1) found(lastId + 1, 'an entry is missing');
      else if (row.prev_hash !== prevHash || hashRow(row) !== row.hash) found(id, 'an entry does not match its hash or the hash before it');
      if (witness && id === witness.lastId) witnessHash = row.hash;
      lastId = id;
      prevHash = row.hash;
    }
    if (rows.length < BATCH) break;
  }
  if (lastId !== end) found(lastId + 1, 'the tail was cut off');
  if (opts.through === undefined) {
    if (prevHash !== head.last_hash) found(headId, 'the head does not name the last entry');
    // The head's signature vouches for the end of the chain, the genesis head's too.
    if (!opts.publicKey || !headSignatureOk(opts.publicKey, headId, head.last_hash, head.head_sig)) found(headId, 'the head is not signed by this key');
    const beyond = await db('mg_audit').where('id', '>', headId).min({ id: 'id' }).first();
    if (beyond?.id !== null && beyond?.id !== undefined) found(Number(beyond.id), `entry ${beyond.id} lies beyond the signed head (${headId}): it was added outside the chain`);
    if (opts.witness?.kind === 'unreadable') found(headId + 1, `the audit witness cannot be read (${opts.witness.why})`);
    if (witness && opts.publicKey && !headSignatureOk(opts.publicKey, witness.lastId, witness.lastHash, witness.sig)) found(headId + 1, 'the audit witness is not signed by this key');
    else if (witness && headId < witness.lastId) found(headId + 1, `the head (${headId}) is below the witness (${witness.lastId}): the log was rolled back or reset`);
    else if (witness && witnessHash !== undefined && witnessHash !== witness.lastHash) found(witness.lastId, 'the entry the witness names was replaced');
  }
  return firstBroken === null ? { ok: true, entries, firstBroken: null } : { ok: false, entries, firstBroken, problem: problem! };
}

const broken = (entries: number, firstBroken: number, problem: string): ChainReport => ({ ok: false, entries, firstBroken, problem });

/** What `GET /v1/audit/verify` and `meshguard audit-verify` check: the chain, its signed head, and
 *  the head against the data dir's witness. */
export function verifyAudit(db: Knex, publicKey: crypto.KeyObject | undefined, dataDir: string): Promise<ChainReport> {
  return verifyChain(db, { publicKey, witness: readWitness(dataDir) });
}
