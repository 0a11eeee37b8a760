// The zod schema of policies/metrics/<domain>.yaml: a subset of dbt MetricFlow's YAML (semantic models
// with entities, dimensions and measures; simple, ratio and derived metrics), so a team that knows dbt
// reads it without a manual. `model` names a meshguard dataset (`sales.orders`) instead of a dbt ref.
import { z } from 'zod';

const ident = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)');
/** Names a query may use; `__` separates a dimension from its grain (metric_time__month), as in MetricFlow. */
const name = ident.refine((n) => !n.includes('__') && n.length <= 64, 'must not contain __ and be at most 64 characters');

export const TIME_GRAINS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export const AGGREGATIONS = ['sum', 'count', 'count_distinct', 'average', 'min', 'max'] as const;

const Entity = z.strictObject({
  name,
  type: z.enum(['primary', 'foreign']),
  /** The column holding the entity's key (default: the entity's name). */
  expr: ident.optional(),
});

const Dimension = z.strictObject({
  name,
  type: z.enum(['categorical', 'time']),
  description: z.string().optional(),
  label: z.string().optional(),
  /** The column (default: the dimension's name). Only a column: a dimension's values are the column's values. */
  expr: ident.optional(),
  type_params: z.strictObject({ time_granularity: z.enum(TIME_GRAINS) }).optional(),
});

const Measure = z.strictObject({
  name,
  agg: z.enum(AGGREGATIONS),
  description: z.string().optional(),
  label: z.string().optional(),
  /** A column, a number, or + - * / and parentheses over them (default: the measure's name as a column). */
  expr: z.union([z.string().min(1).max(500), z.number()]).optional(),
  agg_time_dimension: name.optional(),
});

export const SemanticModel = z.strictObject({
  name,
  description: z.string().optional(),
  /** The meshguard dataset, `domain.dataset`, of this file's domain. */
  model: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'must name a dataset as domain.dataset'),
  defaults: z.strictObject({ agg_time_dimension: name.optional() }).optional(),
  entities: z.array(Entity).default([]),
  dimensions: z.array(Dimension).default([]),
  measures: z.array(Measure).min(1),
});

/** A metric input: its name, or `{ name, filter?, alias? }`. */
const MetricInput = z.union([name, z.strictObject({ name, filter: z.string().max(2000).optional(), alias: name.optional() })]);

const TypeParams = z.strictObject({
  measure: MetricInput.optional(),
  numerator: MetricInput.optional(),
  denominator: MetricInput.optional(),
  expr: z.string().min(1).max(500).optional(),
  metrics: z.array(MetricInput).optional(),
});

export const MetricDef = z
  .strictObject({
    name,
    label: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    type: z.enum(['simple', 'ratio', 'derived']),
    type_params: TypeParams,
    /** `{{ Dimension('entity__dimension') }} = 'value'`, conditions joined by AND. */
    filter: z.string().max(2000).optional(),
  })
  .superRefine((m, ctx) => {
    const need = { simple: ['measure'], ratio: ['numerator', 'denominator'], derived: ['expr', 'metrics'] }[m.type] as (keyof typeof m.type_params)[];
    for (const k of need) if (m.type_params[k] === undefined) ctx.addIssue({ code: 'custom', path: ['type_params', k], message: `a ${m.type} metric needs type_params.${k}` });
    for (const k of Object.keys(m.type_params)) {
      if (!need.includes(k as keyof typeof m.type_params)) ctx.addIssue({ code: 'custom', path: ['type_params', k], message: `a ${m.type} metric does not take type_params.${k}` });
    }
  });

export const MetricsFileSchema = z.strictObject({
  semantic_models: z.array(SemanticModel).default([]),
  metrics: z.array(MetricDef).default([]),
});

export type SemanticModelDef = z.infer<typeof SemanticModel>;
export type MeasureDef = z.infer<typeof Measure>;
export type DimensionDef = z.infer<typeof Dimension>;
export type MetricDefinition = z.infer<typeof MetricDef>;
export type MetricInputDef = z.infer<typeof MetricInput>;
export type TimeGrain = (typeof TIME_GRAINS)[number];
export type Aggregation = (typeof AGGREGATIONS)[number];
