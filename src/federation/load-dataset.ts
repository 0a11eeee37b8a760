// Copies the caller's governed view of one dataset into the query's DuckDB, as `domain.dataset`.
// Rows come through the one read executor (openRead: column decisions, row rules and masking already
// applied), a batch at a time, into a staging table; the view the query reads casts dates and
// timestamps. A masked column holds its tokens (text), equal for equal values across datasets.
import type { Masker } from '../policy/mask-value';
import type { ReadPlan } from '../query/plan-read';
import { openRead } from '../stores/execute-read';
import type { Store } from '../stores/store-registry';
import { BATCH_CHARS, BATCH_ROWS } from '../http/send-rows';
import { fail } from '../errors';
import { ident, type DuckdbSession } from './duckdb-session';

const STAGE = 'mg_stage';

function duckType(plan: ReadPlan, name: string): { stage: string; view: string } {
  const col = plan.columns.find((c) => c.name === name)!;
  if (col.masked !== false) return { stage: 'VARCHAR', view: 'VARCHAR' };
  switch (plan.ds.columns[name].type) {
    case 'integer':
      return { stage: 'BIGINT', view: 'BIGINT' };
    case 'decimal':
      return { stage: 'DOUBLE', view: 'DOUBLE' };
    case 'boolean':
      return { stage: 'BOOLEAN', view: 'BOOLEAN' };
    case 'date':
      return { stage: 'VARCHAR', view: 'DATE' };
    case 'timestamp':
      return { stage: 'VARCHAR', view: 'TIMESTAMPTZ' };
    default:
      return { stage: 'VARCHAR', view: 'VARCHAR' };
  }
}

/** Loads the plan's rows; answers how many were fetched, refusing past `maxRows` (400 query_too_large). */
export async function loadDataset(session: DuckdbSession, store: Store, plan: ReadPlan, mask: Masker, maxRows: number): Promise<number> {
  const [domain, dataset] = [plan.ds.domain, plan.ds.name];
  const cols = plan.columns.map((c) => ({ name: c.name, ...duckType(plan, c.name) }));
  const stage = `${domain}__${dataset}`;
  await session.run(`CREATE SCHEMA IF NOT EXISTS ${STAGE}`);
  await session.run(`CREATE SCHEMA IF NOT EXISTS ${ident(domain)}`);
  await session.run(`CREATE TABLE ${STAGE}.${ident(stage)} (${cols.map((c) => `${ident(c.name)} ${c.stage}`).join(', ')})`);
  await session.run(
    `CREATE VIEW ${ident(domain)}.${ident(dataset)} AS SELECT ${cols.map((c) => (c.stage === c.view ? ident(c.name) : `CAST(${ident(c.name)} AS ${c.view}) AS ${ident(c.name)}`)).join(', ')} FROM ${STAGE}.${ident(stage)}`,
  );
  const appender = await session.connection.createAppender(stage, STAGE);
  const cursor = openRead(store, plan, mask);
  let n = 0;
  try {
    while (!cursor.done) {
      const rows = await cursor.read(BATCH_ROWS, BATCH_CHARS);
      n += rows.length;
      if (n > maxRows) throw fail('query_too_large', `${plan.ds.key} would give the query more than ${maxRows} rows (MESHGUARD_QUERY_MAX_FETCH_ROWS); narrow it with WHERE conditions on its columns`, { dataset: plan.ds.key, limitRows: maxRows });
      for (const row of rows) {
        for (const c of cols) {
          const v = row[c.name];
          if (v === null || v === undefined) appender.appendNull();
          else if (c.stage === 'BIGINT') appender.appendBigInt(BigInt(v as number));
          else if (c.stage === 'DOUBLE') appender.appendDouble(Number(v));
          else if (c.stage === 'BOOLEAN') appender.appendBoolean(v === true);
          else appender.appendVarchar(String(v));
        }
        appender.endRow();
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
    await cursor.close();
  }
  return n;
}
