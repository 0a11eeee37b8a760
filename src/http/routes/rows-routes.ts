// GET, POST and PATCH /v1/datasets/:domain/:dataset/rows: governed reads and writes.
// http (parse) -> policy + query (plan) -> stores (run) -> audit (record, before the answer) -> http.
import { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { planRead } from '../../query/plan-read';
import { InsertBody, UpdateBody, planInsert, planUpdate } from '../../query/plan-write';
import { executeRead } from '../../stores/execute-read';
import { executeInsert, executeUpdate } from '../../stores/execute-write';
import { recordOutcome } from '../audit-request';
import { parseBody } from '../parse-body';
import { parseQuery } from '../parse-query';
import { ctx } from '../request-context';
import { findDataset } from './datasets-routes';

export function rowsRoutes(deps: AppDeps): Router {
  const r = Router();
  const storeOf = (name: string) => deps.stores.get(name)!;

  r.get('/v1/datasets/:domain/:dataset/rows', async (req, res) => {
    const c = ctx(res);
    c.action = 'read';
    const ds = findDataset(deps, res, req.params.domain, req.params.dataset);
    const spec = parseQuery(req.query as Record<string, unknown>, ds.columnNames);
    c.columns = spec.select;
    const store = storeOf(ds.store);
    const plan = planRead(c.access!.ability, ds, spec, store.dialect);
    c.fingerprint = plan.fingerprint;
    const rows = await executeRead(store, plan, deps.mask);
    const columns = plan.columns.map((col) => col.name);
    await recordOutcome(deps, req, res, {
      decision: 'allow',
      reason: `read granted by ${plan.grantIds.join(', ')}`,
      status: 200,
      columns,
      rowCount: rows.length,
      grantIds: plan.grantIds,
    });
    res.json({ columns, rows, limit: plan.limit, offset: plan.offset });
  });

  r.post('/v1/datasets/:domain/:dataset/rows', async (req, res) => {
    const c = ctx(res);
    c.action = 'insert';
    const ds = findDataset(deps, res, req.params.domain, req.params.dataset);
    const spec = parseQuery(req.query as Record<string, unknown>, ds.columnNames);
    if (spec.filters.length) throw fail('unknown_parameter', `unknown query parameter ${spec.filters[0].column}`);
    const body = parseBody(req, InsertBody);
    const store = storeOf(ds.store);
    const plan = planInsert(c.access!.ability, ds, body, store.dialect);
    c.columns = plan.columns;
    const inserted = await executeInsert(store, plan, (n) =>
      recordOutcome(deps, req, res, {
        decision: 'allow',
        reason: `insert granted by ${plan.grantIds.join(', ')}`,
        status: 201,
        columns: plan.columns,
        rowCount: n,
        grantIds: plan.grantIds,
      }),
    );
    res.status(201).json({ inserted });
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
    const updated = await executeUpdate(store, plan, (n) =>
      recordOutcome(deps, req, res, {
        decision: 'allow',
        reason: `update granted by ${plan.grantIds.join(', ')}`,
        status: 200,
        columns: plan.columns,
        rowCount: n,
        grantIds: plan.grantIds,
      }),
    );
    res.json({ updated });
  });

  return r;
}
