// GET, POST and PATCH /v1/datasets/:domain/:dataset/rows: governed reads and writes.
// GET answers JSON, CSV, NDJSON, Arrow or Parquet (answer-formats.ts: Accept or format=).
// http (parse) -> policy + query (plan) -> stores (run) -> audit (record, before the answer) -> http.
// Writes also pass their guardrails (guard-write.ts); POST takes ?on_conflict= (upsert), ?dry_run=
// and an Idempotency-Key header.
import type { Request, Response, Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { checkChange, checkValues } from '../../guardrails/check-batch';
import { fromStoreValue } from '../../query/coerce-value';
import { planRead } from '../../query/plan-read';
import { classifyUpsert, parseConflictTarget, planUpsert } from '../../query/plan-upsert';
import { InsertBody, UpdateBody, planInsert, planUpdate } from '../../query/plan-write';
import { checkRowUpdate, clearValues, storedRow } from '../../query/write-check';
import { openRead } from '../../stores/execute-read';
import { executeInsert, executeUpdate, executeUpsert } from '../../stores/execute-write';
import { recordOutcome } from '../audit-request';
import { exportRowLimit } from '../../policy/export-limit';
import { chooseFormat, encoderFor, fileNameFor } from '../answer-formats';
import { sendRows } from '../send-rows';
import { guardWrite } from '../guard-write';
import { answerIdempotently } from '../idempotent-request';
import { parseBody } from '../parse-body';
import { parseQuery } from '../parse-query';
import { isPageRequest, readPage } from '../read-page';
import { ctx } from '../request-context';
import { findDataset } from './datasets-routes';
import { router } from '../router';

export function rowsRoutes(deps: AppDeps): Router {
  const r = router();
  const storeOf = (name: string) => deps.stores.get(name)!;
  /** Records an allowed data access, naming the grants that allowed it. */
  const granted = (req: Request, res: Response, what: string, plan: { grantIds: string[] }, o: { status: number; columns: string[]; rowCount: number | null; details?: Record<string, unknown> }) =>
    recordOutcome(deps, req, res, { decision: 'allow', reason: `${what} granted by ${plan.grantIds.join(', ')}`, grantIds: plan.grantIds, ...o });

  r.get('/v1/datasets/:domain/:dataset/rows', async (req, res) => {
    const c = ctx(res);
    c.action = 'read';
    const ds = findDataset(deps, res, req.params.domain, req.params.dataset);
    res.vary('Accept');
    const format = chooseFormat(req.query.format, (types) => req.accepts(types));
    // Keyset pages (page_size, cursor): JSON pages with a next cursor, in a file of their own.
    if (isPageRequest(req.query)) {
      if (format !== 'json') throw fail('bad_request', 'keyset pages (page_size, cursor) answer JSON; for every row in a bulk format, leave them out', { parameter: 'format' });
      const { format: _json, ...query } = req.query as Record<string, unknown>;
      return readPage(deps, req, res, ds, granted, query);
    }
    const bulk = format !== 'json';
    const spec = parseQuery(req.query as Record<string, unknown>, ds.columnNames, ['format'], { bulk });
    c.columns = spec.select;
    const store = storeOf(ds.store);
    const plan = planRead(c.access!.ability, ds, spec, store.dialect);
    c.fingerprint = plan.fingerprint;
    const encoder = encoderFor(format, plan);
    const rowLimit = bulk ? exportRowLimit(deps.policies, c.access!.grants, plan.grantIds) : undefined;
    const cursor = openRead(store, plan, deps.mask);
    const columns = cursor.columns;
    const more = bulk ? { format } : {};
    await sendRows(
      deps,
      req,
      res,
      cursor,
      encoder,
      {
        allow: async (rowCount, details) => {
          await granted(req, res, 'read', plan, { status: 200, columns, rowCount, details: details || bulk ? { ...details, ...more } : undefined });
          // Only an answer that is about to be sent is offered as a file (never a refusal).
          if (bulk) res.setHeader('Content-Disposition', `attachment; filename="${fileNameFor(format, ds.key)}"`);
        },
        ended: (rowCount, details) => granted(req, res, 'read', plan, { status: 200, columns, rowCount, details: { ...details, ...more, completes: c.auditId } }),
        stillAllowed: () => deps.access.stillHolds(c.principal!, plan.grantIds),
      },
      rowLimit,
    );
  });

  r.post('/v1/datasets/:domain/:dataset/rows', async (req, res) => {
    const c = ctx(res);
    c.action = req.query.on_conflict === undefined ? 'insert' : 'upsert';
    const ds = findDataset(deps, res, req.params.domain, req.params.dataset);
    const spec = parseQuery(req.query as Record<string, unknown>, ds.columnNames, ['on_conflict', 'dry_run']);
    if (spec.filters.length) throw fail('unknown_parameter', `unknown query parameter ${spec.filters[0].column}`);
    const { on_conflict: onConflict, dry_run: dryRunParam } = spec.params;
    if (dryRunParam !== undefined && dryRunParam !== 'true' && dryRunParam !== 'false') throw fail('bad_request', 'dry_run is true or false', { parameter: 'dry_run' });
    const dryRun = dryRunParam === 'true';
    const body = parseBody(req, InsertBody);
    const store = storeOf(ds.store);
    await answerIdempotently(deps, req, res, async () => {
      if (onConflict === undefined && !dryRun) {
        const plan = planInsert(c.access!.ability, ds, body, store.dialect);
        c.columns = plan.columns;
        const guard = guardWrite(deps, req, res, ds, plan.grantIds);
        const inserted = await guard.run(body.rows, false, () =>
          executeInsert(store, plan, (n) => granted(req, res, 'insert', plan, { status: 201, columns: plan.columns, rowCount: n })),
        );
        return { status: 201, body: { inserted } };
      }
      const key = onConflict === undefined ? [ds.primaryKey] : parseConflictTarget(ds, onConflict);
      const plan = planUpsert(c.access!.ability, ds, body, key, onConflict === undefined ? 'insert' : 'upsert', store.dialect);
      c.columns = plan.columns;
      const guard = guardWrite(deps, req, res, ds, plan.grantIds);
      const changes = await guard.run(body.rows, dryRun, () =>
        executeUpsert(store, plan, {
          dryRun,
          classify: (stored) => {
            const ch = classifyUpsert(c.access!.ability, plan, stored);
            for (const u of ch.updates) checkChange(guard.limits, u.before, u.after, `rows[${u.index}]`);
            return ch;
          },
          beforeCommit: (ch) =>
            granted(req, res, `${dryRun ? 'dry run of an ' : ''}${c.action}`, plan, {
              status: 200,
              columns: plan.columns,
              rowCount: dryRun ? 0 : ch.inserts.length + ch.updates.length,
              details: { inserted: ch.inserts.length, updated: ch.updates.length, unchanged: ch.unchanged, dryRun, onConflict: key },
            }),
        }),
      );
      const counts = { inserted: changes.inserts.length, updated: changes.updates.length, unchanged: changes.unchanged };
      return { status: 200, body: dryRun ? { dryRun: true, ...counts } : counts };
    });
  });

  r.patch('/v1/datasets/:domain/:dataset/rows', async (req, res) => {
    const c = ctx(res);
    c.action = 'update';
    const ds = findDataset(deps, res, req.params.domain, req.params.dataset);
    const spec = parseQuery(req.query as Record<string, unknown>, ds.columnNames);
    if (spec.select || spec.order.length || req.query.limit !== undefined || req.query.offset !== undefined) {
      throw fail('unknown_parameter', 'an update takes filters only (no select, order, limit or offset)');
    }
    const body = parseBody(req, UpdateBody);
    const store = storeOf(ds.store);
    const plan = planUpdate(c.access!.ability, ds, spec.filters, body, store.dialect);
    c.columns = plan.columns;
    c.fingerprint = plan.fingerprint;
    await answerIdempotently(deps, req, res, async () => {
      const guard = guardWrite(deps, req, res, ds, plan.grantIds);
      // The values PATCH writes, in JSON form, as the guardrails see them.
      const after = Object.fromEntries(Object.entries(plan.set).map(([col, v]) => [col, fromStoreValue(ds.columns[col].type, v)]));
      const ability = c.access!.ability;
      const pk = ds.primaryKey;
      // The stored rows the update changes, read (locked on PostgreSQL) inside its transaction: each
      // must stay inside the writer's rules after the write, and the guardrails compare with them.
      const inspect =
        guard.guarded || plan.rowScoped
          ? {
              columns: ds.columnNames,
              check: async (stored: Record<string, unknown>[]) => {
                for (const row of stored) {
                  const before = storedRow(ds, row);
                  checkRowUpdate(ability, ds, before, after, plan.columns, 'set');
                  if (!guard.guarded) continue;
                  const clear = clearValues(ability, ds, before);
                  checkChange(guard.limits, clear, after, Object.hasOwn(clear, pk) ? `row ${pk}=${String(clear[pk])}` : 'a row');
                }
                if (guard.guarded) await guard.admit(stored.map(() => after), false);
              },
            }
          : undefined;
      try {
        await guard.refuseIfPaused();
        if (guard.guarded) checkValues(guard.limits, [after], () => 'set');
        const updated = await executeUpdate(
          store,
          plan,
          (n) => granted(req, res, 'update', plan, { status: 200, columns: plan.columns, rowCount: n }),
          inspect,
        );
        return { status: 200, body: { updated } };
      } catch (e) {
        await guard.failed(e);
        throw e;
      }
    });
  });

  return r;
}
