// GET /v1/metrics: the metrics the caller may query; GET /v1/metrics/query: their values, grouped.
// http (parse) -> metrics (plan: policy, row rules, minGroupSize) -> stores (one GROUP BY statement)
// -> audit -> http, through the same door as rows (send-rows.ts): audited before the answer leaves,
// re-checked against revocations, JSON or CSV.
import type { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { GatewayError } from '../../errors';
import { openMetrics } from '../../metrics/execute-metrics';
import type { MetricInfo } from '../../metrics/load-metrics';
import { minGroupSizeFor, planMetrics } from '../../metrics/plan-metrics';
import { GRAIN_ORDER } from '../../metrics/time-grain';
import type { AppAbility } from '../../policy/build-ability';
import { metricColumnUse } from '../../policy/decide-columns';
import { chooseFormat } from '../answer-formats';
import { recordOutcome } from '../audit-request';
import { csvRows } from '../encoders/csv';
import { onlyParams } from '../only-params';
import { parseMetricQuery } from '../parse-metric-query';
import { ctx } from '../request-context';
import { router } from '../router';
import { jsonRows } from '../row-encoder';
import { sendRows } from '../send-rows';
import { z } from 'zod';

/** A metric as GET /v1/metrics shows it to a caller who may query it; undefined if they may not. */
function describeMetric(deps: AppDeps, ability: AppAbility, m: MetricInfo) {
  try {
    planMetrics(ability, deps.policies.metrics, { metrics: [m.name], groupBy: [], where: [], order: [], limit: 1 }, (s) => deps.stores.get(s)!.dialect);
  } catch (e) {
    if (e instanceof GatewayError && e.status === 403) return undefined;
    throw e;
  }
  const ds = m.model.ds;
  const dims = Object.values(m.model.dimensions).filter((d) => metricColumnUse(ability, ds, d.column) === 'group');
  const time = m.timeDimension && dims.includes(m.timeDimension) ? m.timeDimension : undefined;
  return {
    name: m.name,
    label: m.label,
    description: m.description ?? null,
    type: m.type,
    domain: m.domain,
    semanticModel: m.model.name,
    dimensions: dims.map((d) => ({ name: d.name, type: d.type, ...(d.grain && { timeGrains: GRAIN_ORDER.slice(GRAIN_ORDER.indexOf(d.grain)) }) })),
    metricTime: time ? { dimension: time.name, timeGrains: GRAIN_ORDER.slice(GRAIN_ORDER.indexOf(time.grain!)) } : null,
    minGroupSize: minGroupSizeFor(ability, ds),
  };
}

export function metricsRoutes(deps: AppDeps): Router {
  const r = router();
  const dialectOf = (store: string) => deps.stores.get(store)!.dialect;

  r.get('/v1/metrics', async (req, res) => {
    const c = ctx(res);
    c.action = 'list_metrics';
    onlyParams(req, z.strictObject({}));
    const ability = c.access!.ability;
    const metrics = Object.values(deps.policies.metrics.metrics).flatMap((m) => describeMetric(deps, ability, m) ?? []);
    await recordOutcome(deps, req, res, { decision: 'allow', reason: 'metrics the caller may query', status: 200, rowCount: metrics.length });
    res.json({ metrics });
  });

  r.get('/v1/metrics/query', async (req, res) => {
    const c = ctx(res);
    c.action = 'read_metrics';
    res.vary('Accept');
    const format = chooseFormat(req.query.format, (types) => req.accepts(types), ['json', 'csv']);
    const spec = parseMetricQuery(req.query as Record<string, unknown>);
    const plan = planMetrics(c.access!.ability, deps.policies.metrics, spec, dialectOf);
    c.resource = plan.ds.key;
    c.fingerprint = plan.fingerprint;
    c.columns = plan.columns;
    const cursor = openMetrics(deps.stores.get(plan.ds.store)!, plan);
    const encoder =
      format === 'json' ? jsonRows(() => ({ suppressedGroups: cursor.suppressedGroups() })) : csvRows(cursor.columns.map((name) => ({ name, type: 'text', masked: false })));
    const audit = (rowCount: number | null, details: Record<string, unknown> | undefined) =>
      recordOutcome(deps, req, res, {
        decision: 'allow',
        reason: `read_metrics granted by ${plan.grantIds.join(', ')}`,
        grantIds: plan.grantIds,
        status: 200,
        columns: plan.columns,
        rowCount,
        details: {
          ...details,
          metrics: plan.metrics.map((m) => m.name),
          groupBy: plan.dimensions.map((d) => d.name),
          minGroupSize: plan.minGroupSize,
          groups: rowCount,
          suppressedGroups: cursor.suppressedGroups(),
          format,
        },
      });
    await sendRows(deps, req, res, cursor, encoder, {
      allow: async (rowCount, details) => {
        await audit(rowCount, details);
        res.setHeader('Meshguard-Suppressed-Groups', String(cursor.suppressedGroups()));
      },
      ended: (rowCount, details) => audit(rowCount, { ...details, completes: c.auditId }),
      stillAllowed: () => deps.access.stillHolds(c.principal!, plan.grantIds),
    });
  });

  return r;
}
