// The zod schemas of the policy files (stores.yaml, datasets/<domain>.yaml, roles.yaml).
// Types are inferred from them, so validation and types never drift.
import { z } from 'zod';

const ident = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)');
const envName = z
  .string()
  .regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable, not a value');

/** Keys that would put a credential into a policy file. */
const FORBIDDEN_SECRET_KEYS = ['password', 'passwd', 'secret', 'url', 'connection', 'connectionString', 'user'];

const SqliteStore = z.strictObject({
  kind: z.literal('sqlite'),
  /** Relative to $MESHGUARD_DATA_DIR/stores, or absolute. */
  file: z.string().min(1),
});
const PostgresStore = z.strictObject({
  kind: z.literal('postgres'),
  urlEnv: envName,
  schema: ident.optional(),
  pool: z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(1) }).optional(),
});
/** A MySQL or MariaDB store (knex's mysql2 client): mysql://user:password@host:3306/db in the environment. */
const MysqlStore = z.strictObject({
  kind: z.literal('mysql'),
  urlEnv: envName,
  pool: z.strictObject({ min: z.number().int().min(0), max: z.number().int().min(1) }).optional(),
});
export const StoreSchema = z.preprocess((v, ctx) => {
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_SECRET_KEYS.includes(k)) {
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: 'literal credentials are not allowed in policy files; name the environment variable with urlEnv',
        });
        return z.NEVER;
      }
    }
  }
  return v;
}, z.discriminatedUnion('kind', [SqliteStore, PostgresStore, MysqlStore]));

export const StoresFileSchema = z.strictObject({ stores: z.record(ident, StoreSchema) });

export const CLASSIFICATIONS = ['public', 'internal', 'pii', 'confidential'] as const;
export const COLUMN_TYPES = ['integer', 'decimal', 'text', 'boolean', 'date', 'timestamp'] as const;

const ColumnSchema = z.strictObject({
  type: z.enum(COLUMN_TYPES),
  classification: z.enum(CLASSIFICATIONS),
  nullable: z.boolean().default(true),
  description: z.string().optional(),
});

// guardrails (issue 5): limits on writes, declared per dataset or per role.
/** `90s`, `15m`, `1h`, `1d` -> milliseconds. */
export const Duration = z
  .string()
  .regex(/^\d+(s|m|h|d)$/, 'must be a duration such as 90s, 15m, 1h or 1d')
  .transform((v) => Number(v.slice(0, -1)) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[v.slice(-1) as 's' | 'm' | 'h' | 'd'])
  .refine((ms) => ms > 0, 'must be longer than zero');
const QuotaSchema = z.strictObject({ rows: z.number().int().min(1), per: Duration });
const ColumnGuardSchema = z
  .strictObject({
    min: z.number().optional(),
    max: z.number().optional(),
    /** The most a stored value may move in one write, in percent of the stored value. */
    maxChangePct: z.number().positive().optional(),
  })
  .refine((g) => g.min === undefined || g.max === undefined || g.min <= g.max, 'min is larger than max');
const BreakerSchema = z.strictObject({
  /** Figures are kept per window of this length (write volume, mean of each guarded column). */
  window: Duration,
  /** Trip when a window's figure departs from the baseline by more than this factor (1.5 = +50 % or -33 %). */
  factor: z.number().gt(1),
  /** Volume below this many rows per window never trips the breaker. */
  minRows: z.number().int().min(0).default(0),
  /** The baseline is re-learnt from the last complete window once it is this old. */
  baselineTtl: Duration.default(86_400_000),
});
export const RoleGuardrailsSchema = z.strictObject({
  maxRowsPerRequest: z.number().int().min(1).optional(),
  quota: QuotaSchema.optional(),
});
export const DatasetGuardrailsSchema = RoleGuardrailsSchema.extend({
  /** Numeric columns: value bounds and the largest change per update. */
  columns: z.record(ident, ColumnGuardSchema).optional(),
  breaker: BreakerSchema.optional(),
});

const DatasetSchema = z.strictObject({
  store: ident,
  table: ident,
  primaryKey: ident,
  description: z.string().optional(),
  columns: z.record(ident, ColumnSchema).refine((c) => Object.keys(c).length > 0, 'at least one column'),
  /** Unique keys besides the primary key (each a list of columns), usable as upsert targets. */
  uniqueKeys: z.array(z.array(ident).min(1)).optional(),
  guardrails: DatasetGuardrailsSchema.optional(),
});

export const DomainFileSchema = z.strictObject({
  domain: ident,
  owner: z.string().optional(),
  description: z.string().optional(),
  datasets: z.record(ident, DatasetSchema),
});

export const DATA_ACTIONS = ['read', 'insert', 'update'] as const;
export const GRANT_ACTIONS = ['grant', 'revoke', 'list_grants'] as const;
export const AUDIT_ACTIONS = ['read_audit'] as const;
/** guardrails (issue 5): see guarded datasets and pauses, resume a paused writer (per domain). */
export const GUARDRAIL_ACTIONS = ['view_guardrails', 'resume_writer'] as const;
/** metrics (issue 13): query named metrics (aggregates) over the columns the rule names, without reading rows. */
export const METRIC_ACTIONS = ['read_metrics'] as const;
/** sharing (issue 15): create and delete shares with partners and their recipients (per domain). */
export const SHARE_ACTIONS = ['manage_shares'] as const;
/** replicas (issue 16): reload the policy files without a restart (POST /v1/admin/policies/reload). */
export const POLICY_ACTIONS = ['reload_policies'] as const;
export const ALL_ACTIONS = [...DATA_ACTIONS, ...GRANT_ACTIONS, ...AUDIT_ACTIONS, ...GUARDRAIL_ACTIONS, ...METRIC_ACTIONS, ...SHARE_ACTIONS, ...POLICY_ACTIONS] as const;

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const Operator = z.strictObject({
  $eq: Scalar.optional(),
  $ne: Scalar.optional(),
  $gt: Scalar.optional(),
  $gte: Scalar.optional(),
  $lt: Scalar.optional(),
  $lte: Scalar.optional(),
  $in: z.array(Scalar).optional(),
  $nin: z.array(Scalar).optional(),
});
/** Row conditions, in the MongoDB-style syntax CASL uses: `{ region: EU }`, `{ amount: { $lte: 100 } }`. */
export const RowConditionsSchema = z.record(ident, z.union([Scalar, Operator]));

const RuleSchema = z
  .strictObject({
    actions: z.array(z.enum(ALL_ACTIONS)).min(1),
    /** Data rules: dataset names inside the granted domain (default: all of them). */
    datasets: z.array(ident).optional(),
    /** Data rules: the columns, by classification or by name (default: every column). */
    classifications: z.array(z.enum(CLASSIFICATIONS)).optional(),
    columns: z.array(ident).optional(),
    /** Read rules: the values are shown as deterministic tokens, never in clear. */
    mask: z.boolean().optional(),
    /** read_metrics rules (issue 13): the columns may be aggregated by a measure, never grouped or filtered by. */
    aggregateOnly: z.boolean().optional(),
    /** read_metrics rules (issue 13): every group of a metric answer summarises at least this many rows. */
    minGroupSize: z.number().int().min(1).optional(),
    rows: RowConditionsSchema.optional(),
    /** Grant rules: the roles that may be granted, revoked or listed. */
    roles: z.union([z.literal('*'), z.array(ident)]).optional(),
    /** A `cannot` rule: removes what other rules allow. */
    inverted: z.boolean().optional(),
    reason: z.string().optional(),
  })
  .refine((r) => !(r.classifications && r.columns), 'give classifications or columns, not both');

const RoleSchema = z.strictObject({
  description: z.string().optional(),
  /** domain: granted per data-mesh domain; global: granted with domain "*". */
  scope: z.enum(['domain', 'global']),
  maxGrantDays: z.number().int().min(1).max(3650),
  inherits: z.array(ident).optional(),
  rules: z.array(RuleSchema).default([]),
  guardrails: RoleGuardrailsSchema.optional(),
  /** rate limits (issue 10): the most GET requests under /v1 a subject holding this role may make per window. */
  readRateLimit: z.strictObject({ requests: z.number().int().min(1), per: Duration }).optional(),
  /** formats (issue 12): the most rows one bulk answer (CSV, NDJSON, Arrow, Parquet) may hold for this role. */
  exportRowLimit: z.number().int().min(1).optional(),
});

export const RolesFileSchema = z.strictObject({ roles: z.record(ident, RoleSchema) });

export type StoreDef = z.infer<typeof StoreSchema>;
export type ColumnDef = z.infer<typeof ColumnSchema>;
export type RuleDef = z.infer<typeof RuleSchema>;
export type RoleDef = z.infer<typeof RoleSchema>;
export type RowConditions = z.infer<typeof RowConditionsSchema>;
export type DatasetGuardrails = z.infer<typeof DatasetGuardrailsSchema>;
export type RoleGuardrails = z.infer<typeof RoleGuardrailsSchema>;
export type Classification = (typeof CLASSIFICATIONS)[number];
export type ColumnType = (typeof COLUMN_TYPES)[number];
export type DataAction = (typeof DATA_ACTIONS)[number];
export type MetricAction = (typeof METRIC_ACTIONS)[number];
export type Action = (typeof ALL_ACTIONS)[number];
