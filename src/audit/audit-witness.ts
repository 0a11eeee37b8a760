// The audit witness: the highest signed chain head this data dir has seen, kept outside the state
// store (`<data dir>/audit-witness`, mode 0600, replaced atomically). Whoever can write the state store
// but not the data dir's signing key can replay an old signed head (the genesis head after wiping the
// log, an earlier head after cutting its tail), which the chain and its signatures alone cannot tell
// from the real thing; a head below the witness can: verify reports it as a rollback. The gateway
// updates the witness from the committed head, at most once a second and when it closes, off the
// request path; it only ever raises it.
import type crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { PRIVATE_FILE, writePrivateFileAtomically } from '../state/private-files';
import { headSignatureOk } from './signing-key';

export const witnessFile = (dataDir: string) => path.join(dataDir, 'audit-witness');

/** A signed chain head: the signature is the head's own (signing-key.ts signHead). */
export interface SignedHead {
  lastId: number;
  lastHash: string;
  sig: string | null;
}

export type WitnessRead = { kind: 'none' } | { kind: 'head'; head: SignedHead } | { kind: 'unreadable'; why: string };

export function readWitness(dataDir: string): WitnessRead {
  let text: string;
  try {
    text = fs.readFileSync(witnessFile(dataDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'unreadable', why: (e as Error).message };
  }
  try {
    const w = JSON.parse(text) as { v?: unknown; lastId?: unknown; lastHash?: unknown; sig?: unknown };
    if (w.v === 1 && Number.isSafeInteger(w.lastId) && typeof w.lastHash === 'string' && typeof w.sig === 'string') {
      return { kind: 'head', head: { lastId: w.lastId as number, lastHash: w.lastHash, sig: w.sig } };
    }
  } catch {
    // fall through: not a witness this gateway wrote
  }
  return { kind: 'unreadable', why: 'not a witness file this gateway wrote' };
}

export async function readHead(db: Knex | Knex.Transaction): Promise<SignedHead | undefined> {
  const h = await db('mg_audit_head').where({ id: 1 }).first('last_id', 'last_hash', 'head_sig');
  return h ? { lastId: Number(h.last_id), lastHash: h.last_hash, sig: h.head_sig ?? null } : undefined;
}

/** Keeps the witness file at the highest head signed by `publicKey` that the state store has shown. */
export class AuditWitness {
  private written = -1;
  private lastWriteAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly knex: Knex,
    private readonly dataDir: string,
    private readonly publicKey: crypto.KeyObject,
    private readonly onError: (e: unknown) => void,
    private readonly minIntervalMs = 1000,
  ) {
    const w = readWitness(dataDir);
    if (w.kind === 'head') {
      this.written = w.head.lastId;
      fs.chmodSync(witnessFile(dataDir), PRIVATE_FILE); // left by an earlier run, perhaps with a looser mode
    }
  }

  /** The highest id the witness holds (-1: none yet). */
  get lastId(): number {
    return this.written;
  }

  /** After a commit: schedules an update, at once if none ran in the last interval. Never waits. */
  touch(): void {
    if (this.timer || this.closed) return;
    const wait = Math.max(0, this.lastWriteAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.update();
    }, wait);
    this.timer.unref();
  }

  /** Writes the committed head now (at shutdown); no update runs after it. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running; // it may have read the head before the last commit
    await this.update();
    this.closed = true;
  }

  /** Reads the committed head; writes it if it is signed by our key and above what the witness holds. */
  update(): Promise<void> {
    this.running ??= (async () => {
      try {
        this.lastWriteAt = Date.now();
        const head = await readHead(this.knex);
        if (!head || head.lastId <= this.written || !headSignatureOk(this.publicKey, head.lastId, head.lastHash, head.sig)) return;
        // Another process sharing this data dir may have raised it further meanwhile: never lower it.
        const now = readWitness(this.dataDir);
        if (now.kind === 'head' && now.head.lastId >= head.lastId) {
          this.written = now.head.lastId;
          return;
        }
        await writePrivateFileAtomically(witnessFile(this.dataDir), `${JSON.stringify({ v: 1, ...head })}\n`);
        this.written = head.lastId;
      } catch (e) {
        this.onError(e);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}
