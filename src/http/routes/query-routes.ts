// POST /v1/query: federated SQL (issue 14). Body { sql, params }; answers { columns, rows } in JSON or,
// by Accept/format=, CSV, NDJSON, Arrow or Parquet, through the one streaming and audit door
// (send-rows.ts). ?explain=true answers the plan instead: per dataset its store, the columns fetched,
// the comparisons pushed into the store and the rows fetched. One audit entry per query: the SQL's
// fingerprint (literals replaced), every dataset with its columns and rows fetched, rows returned.
import type { Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { queryAuditDetails, runFederatedQuery } from '../../federation/run-federated-query';
import type { ReadCursor } from '../../stores/execute-read';
import { recordOutcome } from '../audit-request';
import { chooseFormat, encoderForColumns } from '../answer-formats';
import { parseBody } from '../parse-body';
import { ctx } from '../request-context';
import { router } from '../router';
import { sendRows } from '../send-rows';

const Param = z.union([z.string().max(65536), z.number(), z.boolean(), z.null()]);
export const QueryBody = z.strictObject({
  sql: z.string().min(1).max(100_000),
  params: z.array(Param).max(1000).default([]),
});

/** An answer already in memory (bounded by the answer cap), read like a store cursor. */
function arrayCursor(columns: string[], rows: Record<string, unknown>[]): ReadCursor {
  let at = 0;
  return {
    columns,
    get done() {
      return at >= rows.length;
    },
    async read(maxRows) {
      const out = rows.slice(at, at + maxRows);
      at += out.length;
      return out;
    },
    async close() {
      at = rows.length;
    },
  };
}

export function queryRoutes(deps: AppDeps): Router {
  const r = router();
  r.post('/v1/query', async (req, res) => {
    const c = ctx(res);
    c.action = 'query';
    const explainParam = req.query.explain;
    if (explainParam !== undefined && explainParam !== 'true' && explainParam !== 'false') throw fail('bad_request', 'explain is true or false', { parameter: 'explain' });
    for (const k of Object.keys(req.query)) if (k !== 'explain' && k !== 'format') throw fail('unknown_parameter', `unknown query parameter ${k.slice(0, 64)}`);
    const explain = explainParam === 'true';
    res.vary('Accept');
    const format = explain ? 'json' : chooseFormat(req.query.format, (types) => req.accepts(types));
    const body = parseBody(req, QueryBody);
    const answer = await runFederatedQuery({ policies: deps.policies, stores: deps.stores, mask: deps.mask, limits: deps.config.query }, c.access!.ability, body.sql, body.params, explain);
    const summary = queryAuditDetails(answer, null);
    c.fingerprint = summary.sql;
    c.resource = answer.datasets.map((d) => d.dataset).join(',') || null;
    c.columns = summary.columns;
    const audit = (rowCount: number | null, extra: Record<string, unknown>) =>
      recordOutcome(deps, req, res, {
        decision: 'allow',
        reason: `${explain ? 'explain of a ' : ''}federated query granted by ${answer.grantIds.join(', ')}`,
        grantIds: answer.grantIds,
        status: 200,
        columns: c.columns,
        rowCount,
        fingerprint: c.fingerprint,
        details: { ...queryAuditDetails(answer, rowCount).details, ...extra },
      });
    if (explain || !answer.rows) {
      await audit(0, { explain: true });
      res.json({ sql: answer.fingerprint, datasets: answer.datasets });
      return;
    }
    const columns = answer.columns!;
    await sendRows(
      deps,
      req,
      res,
      arrayCursor(columns.map((col) => col.name), answer.rows),
      encoderForColumns(format, columns),
      {
        allow: (rowCount, extra) => audit(rowCount, { ...extra, format }),
        ended: (rowCount, extra) => audit(rowCount, { ...extra, format, completes: c.auditId }),
        stillAllowed: () => deps.access.stillHolds(c.principal!, answer.grantIds),
      },
    );
  });
  return r;
}
