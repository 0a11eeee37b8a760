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
// so the chain stays linear under concurrent appends from every replica, as with the lock.
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

/**
 * Appends `rows` (chained onto `expect`) and moves the head to `next` in one statement. True once
 * committed; false when the head was not at `expect` (nothing written: chain again on the real head).
 * Throws what PostgreSQL throws (a key conflict: a row beyond the head; a lost connection).
 */
export async function appendOnPostgres(knex: Knex, expect: Head, rows: AuditRow[], next: Head, headSig: string | null): Promise<boolean> {
  const values: unknown[] = [next.lastId, next.lastHash, headSig, expect.lastId, expect.lastHash];
  for (const [column] of COLUMNS) values.push(rows.map((r) => r[column]));
  // The knex pool's connection (its search_path is the state schema), held for the one statement.
  const pool = knex.client as unknown as PgPool;
  const conn = await pool.acquireConnection();
  try {
    const query: QueryConfig = { name: 'meshguard-audit-append', text: APPEND_SQL, values };
    const result = await conn.query(query);
    return result.rowCount === rows.length;
  } finally {
    await pool.releaseConnection(conn);
  }
}
