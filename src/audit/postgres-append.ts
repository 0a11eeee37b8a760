// The audit group commit on a PostgreSQL state store, in one round trip. The locked append
// (audit-log.ts appendBatch: BEGIN, lock and read the head, look past it, insert, move the head,
// COMMIT) costs six round trips and as many query builds; the benchmark's profile of the gateway on
// PostgreSQL state showed them as most of its extra CPU per request. Here one statement, held
// prepared per connection, moves the head only if it is still where this process last left it, and
// inserts the batch only if the head moved:
//   - a head another replica moved meanwhile: the UPDATE matches nothing (PostgreSQL re-checks its
//     WHERE against the committed row it waited for), nothing is inserted, and the caller chains
//     again on the head it reads;
//   - a row already at one of the batch's ids (planted beyond the signed head): the primary key
//     refuses the INSERT and the whole statement, head move included, rolls back;
// so the chain stays linear under concurrent appends from every replica, as with the lock. Under
// contention (replicas appending at once) guesses miss, so a process whose guess missed locks the
// head first instead (appendLocked: four round trips, nothing wasted) until it finds the head where it
// left it again.
import type { Knex } from 'knex';
import type { ClientBase, QueryConfig } from 'pg';
import { AUDIT_ROW_FIELDS, type AuditRow } from './audit-entry';
import type { Head } from './sqlite-commit-worker';

/** The PostgreSQL type each column's array is sent as: text unless named here. */
const NOT_TEXT: Partial<Record<keyof AuditRow, string>> = { id: 'bigint', ts: 'bigint', status: 'integer', row_count: 'integer', latency_ms: 'double precision' };

// $1-$3: the new head; $4-$5: the head it must replace; $6...: one array per column (unnest zips them).
const APPEND_SQL =
  'WITH moved AS (UPDATE mg_audit_head SET last_id = $1, last_hash = $2, head_sig = $3 WHERE id = 1 AND last_id = $4 AND last_hash = $5 RETURNING id) ' +
  `INSERT INTO mg_audit (${AUDIT_ROW_FIELDS.map((c) => `"${c}"`).join(', ')}) ` +
  `SELECT * FROM unnest(${AUDIT_ROW_FIELDS.map((c, i) => `$${i + 6}::${NOT_TEXT[c] ?? 'text'}[]`).join(', ')}) WHERE EXISTS (SELECT 1 FROM moved)`;

/** A batch chained onto some head: its rows, the head after them, and that head's signature. */
export interface Batch {
  rows: AuditRow[];
  next: Head;
  sig: string | null;
}

interface PgPool {
  acquireConnection(): Promise<ClientBase>;
  releaseConnection(conn: ClientBase): Promise<unknown>;
}

/** Runs `fn` on a connection of the knex pool (its search_path is the state schema), held until it returns. */
export async function onPostgresConnection<T>(knex: Knex, fn: (conn: ClientBase) => Promise<T>): Promise<T> {
  const pool = knex.client as unknown as PgPool;
  const conn = await pool.acquireConnection();
  try {
    return await fn(conn);
  } finally {
    await pool.releaseConnection(conn);
  }
}

/**
 * Appends the batch (chained onto `expect`) and moves the head to its `next` in one statement. True
 * once done (committed, outside a transaction); false when the head was not at `expect` (nothing
 * written: chain again on the real head). Throws what PostgreSQL throws (a key conflict: a row beyond
 * the head; a lost connection).
 */
export async function appendAt(conn: ClientBase, expect: Head, batch: Batch): Promise<boolean> {
  const values: unknown[] = [batch.next.lastId, batch.next.lastHash, batch.sig, expect.lastId, expect.lastHash];
  for (const column of AUDIT_ROW_FIELDS) values.push(batch.rows.map((r) => r[column]));
  const query: QueryConfig = { name: 'meshguard-audit-append', text: APPEND_SQL, values };
  const result = await conn.query(query);
  return result.rowCount === batch.rows.length;
}

/**
 * When other replicas keep moving the head, guessing it wastes a round trip and a signature per miss:
 * then the batch locks the head first (BEGIN, SELECT ... FOR UPDATE, the same statement, COMMIT) and
 * `chain` builds the batch on the head it holds. Resolves with that batch and the head it found.
 */
export async function appendLocked(conn: ClientBase, chain: (head: Head) => Batch): Promise<{ batch: Batch; found: Head }> {
  await conn.query('BEGIN');
  try {
    const locked = await conn.query<{ last_id: string; last_hash: string }>({ name: 'meshguard-audit-lock-head', text: 'SELECT last_id, last_hash FROM mg_audit_head WHERE id = 1 FOR UPDATE' });
    if (locked.rows.length === 0) throw new Error('audit chain head is missing');
    const found = { lastId: Number(locked.rows[0].last_id), lastHash: locked.rows[0].last_hash };
    const batch = chain(found);
    if (!(await appendAt(conn, found, batch))) throw new Error('the audit chain head moved while locked');
    await conn.query('COMMIT');
    return { batch, found };
  } catch (e) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
