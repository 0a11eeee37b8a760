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
import type { AuditRow } from './audit-entry';
import type { Head } from './sqlite-commit-worker';

/** The stored columns of mg_audit, in insert order, with the PostgreSQL type each array is sent as. */
const COLUMNS: [keyof AuditRow, string][] = [
  ['id', 'bigint'], ['ts', 'bigint'], ['request_id', 'text'], ['subject', 'text'], ['action', 'text'], ['resource', 'text'],
  ['decision', 'text'], ['reason', 'text'], ['status', 'integer'], ['columns', 'text'], ['row_count', 'integer'],
  ['fingerprint', 'text'], ['client_ip', 'text'], ['latency_ms', 'double precision'], ['grant_ids', 'text'],
  ['policy_version', 'text'], ['details', 'text'], ['prev_hash', 'text'], ['hash', 'text'],
];

// $1-$3: the new head; $4-$5: the head it must replace; $6...: one array per column (unnest zips them).
const APPEND_SQL =
  'WITH moved AS (UPDATE mg_audit_head SET last_id = $1, last_hash = $2, head_sig = $3 WHERE id = 1 AND last_id = $4 AND last_hash = $5 RETURNING id) ' +
  `INSERT INTO mg_audit (${COLUMNS.map(([c]) => `"${c}"`).join(', ')}) ` +
  `SELECT * FROM unnest(${COLUMNS.map(([, type], i) => `$${i + 6}::${type}[]`).join(', ')}) WHERE EXISTS (SELECT 1 FROM moved)`;

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
 * Appends `rows` (chained onto `expect`) and moves the head to `next` in one statement. True once
 * done (committed, outside a transaction); false when the head was not at `expect` (nothing written:
 * chain again on the real head). Throws what PostgreSQL throws (a key conflict: a row beyond the
 * head; a lost connection).
 */
export async function appendAt(conn: ClientBase, expect: Head, rows: AuditRow[], next: Head, headSig: string | null): Promise<boolean> {
  const values: unknown[] = [next.lastId, next.lastHash, headSig, expect.lastId, expect.lastHash];
  for (const [column] of COLUMNS) values.push(rows.map((r) => r[column]));
  const query: QueryConfig = { name: 'meshguard-audit-append', text: APPEND_SQL, values };
  const result = await conn.query(query);
  return result.rowCount === rows.length;
}

/**
 * When other replicas keep moving the head, guessing it wastes a round trip and a signature per miss:
 * then the batch locks the head first (BEGIN, SELECT ... FOR UPDATE, the same statement, COMMIT) and
 * `chain` builds the batch on the head it holds. Resolves with what `chain` made and the head it found.
 */
export async function appendLocked<T extends { next: Head }>(conn: ClientBase, chain: (head: Head) => T & { rows: AuditRow[]; sig: string | null }): Promise<T & { found: Head }> {
  await conn.query('BEGIN');
  try {
    const locked = await conn.query<{ last_id: string; last_hash: string }>({ name: 'meshguard-audit-lock-head', text: 'SELECT last_id, last_hash FROM mg_audit_head WHERE id = 1 FOR UPDATE' });
    if (locked.rows.length === 0) throw new Error('audit chain head is missing');
    const found = { lastId: Number(locked.rows[0].last_id), lastHash: locked.rows[0].last_hash };
    const batch = chain(found);
    if (!(await appendAt(conn, found, batch.rows, batch.next, batch.sig))) throw new Error('the audit chain head moved while locked');
    await conn.query('COMMIT');
    return { ...batch, found };
  } catch (e) {
    await conn.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}
