// Shutdown helper: waits until no request still holds or waits for a database connection, so closing
// the pools never aborts a request that is still running (for example one whose client went away:
// its socket is closed, so the HTTP server no longer counts it, but its handler still runs).
import type { Knex } from 'knex';

interface PoolCounts {
  numUsed(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

function busy(knex: Knex): boolean {
  const pool = (knex.client as { pool?: PoolCounts }).pool;
  if (!pool) return false;
  return pool.numUsed() + pool.numPendingAcquires() + pool.numPendingCreates() > 0;
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once every pool has been idle at two checks in a row (a handler between two queries
 *  is caught by the second), or after `timeoutMs`: shutdown must not hang on a stuck query. */
export async function waitForIdlePools(knexes: Knex[], timeoutMs = 5000, stepMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let idleChecks = 0;
  while (idleChecks < 2 && Date.now() < deadline) {
    idleChecks = knexes.some(busy) ? 0 : idleChecks + 1;
    if (idleChecks < 2) await tick(stepMs);
  }
}
