// Every HTTP operation of the gateway, once: its method and Express path, and the zod schemas that
// validate its query and body (the very constants the routes parse with) and shape its answer.
// openapi-document.ts turns this list into GET /openapi.json; test/http/openapi.test.ts walks the
// Express router and fails when a route has no entry here, or an entry has no route.
// To add an endpoint: add its route, then one entry below (method, path as Express spells it, tag,
// summary, and the schemas it parses with; `problems` lists the statuses of its refusals).
import { QueryBody } from '../routes/query-routes';
import { z } from 'zod';
import { ERRORS } from '../../errors';
import { InsertBody, UpdateBody } from '../../query/plan-write';
import { ListQuery as AuditListQuery, ExportQuery as AuditExportQuery, SummaryQuery as AuditSummaryQuery } from '../routes/audit-routes';
import { ExplainQuery } from '../routes/explain-routes';
import { NewGrantBody, RenewBody, RevokeQuery, ListQuery as GrantListQuery } from '../routes/grants-routes';
import { ResumeBody } from '../routes/guardrails-routes';
import { ApplyBody, ReviewQuery } from '../routes/reviews-routes';
import { RevokeBody } from '../routes/revocations-routes';
import { ReasonBody } from '../routes/subjects-routes';
import { NewShareBody } from '../../sharing/share-definition';
import { NewRecipientBody, ShareChangeQuery, ShareListQuery } from '../routes/shares-routes';
import { ListQuery as SharingListQuery, QueryBody as SharingQueryBody, VersionQuery as SharingVersionQuery } from '../routes/delta-sharing-routes';

/** RFC 9457 problem document: every refusal, with a stable `code` (errors.ts). */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...(keyof typeof ERRORS)[]]),
  instance: z.string(),
  requestId: z.string().optional(),
});

// Answer shapes (checked against real answers in the OpenAPI test).
export const Health = z.object({ status: z.enum(['ok', 'degraded']), datasets: z.record(z.string(), z.string()).optional(), policyVersion: z.string() });
export const Grant = z.object({
  id: z.string(),
  subject: z.string(),
  role: z.string(),
  domain: z.string().nullable(),
  expiresAt: z.string().nullable(),
  reason: z.string().nullable(),
});
export const Me = z.object({ subject: z.string(), grants: z.array(Grant.pick({ id: true, role: true, domain: true, expiresAt: true, reason: true })) });
export const DatasetDescription = z.object({
  domain: z.string(),
  dataset: z.string(),
  description: z.string().optional().nullable(),
  primaryKey: z.string(),
  actions: z.array(z.string()),
  columns: z.array(z.object({ name: z.string(), type: z.string(), classification: z.string(), masked: z.boolean(), nullable: z.boolean() })),
});
export const DatasetList = z.object({ datasets: z.array(DatasetDescription) });
export const Rows = z.object({ columns: z.array(z.object({ name: z.string() }).loose()).optional(), rows: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().nullable().optional() }).loose();

/** The read grammar of rows (parse-query.ts): reserved parameters; any other name is a filter `column=op.value`. */
export const ReadQuery = z.object({
  select: z.string().optional().describe('columns to return, comma separated'),
  order: z.string().optional().describe('column.asc or column.desc, comma separated'),
  limit: z.coerce.number().int().min(0).optional(),
  offset: z.coerce.number().int().min(0).optional(),
  format: z.enum(['json', 'csv', 'ndjson', 'arrow', 'parquet']).optional().describe('answer format when the Accept header cannot be set'),
  page_size: z.coerce.number().int().min(1).optional().describe('keyset pages: rows per page (JSON)'),
  cursor: z.string().optional().describe('keyset pages: the nextCursor of the previous page'),
});
export const WriteQuery = z.object({ on_conflict: z.string().optional().describe('upsert on these key columns'), dry_run: z.enum(['true', 'false']).optional() });
export const Filters = z.record(z.string(), z.string()).describe('filters: column=op.value (eq, neq, gt, gte, lt, lte, like, ilike, in, is); see docs/api.md');

const QueryParams = z.object({ explain: z.enum(['true', 'false']).optional().describe('answer the plan (datasets, stores, columns, pushed-down comparisons, rows fetched) instead of the rows'), format: z.enum(['json', 'csv', 'ndjson', 'arrow', 'parquet']).optional() });

export interface Operation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** As Express spells it: /v1/grants/:id. */
  path: string;
  tag: string;
  summary: string;
  /** Public: no token (health and the API description). */
  public?: boolean;
  /** Authenticated by a Delta Sharing recipient's profile token, not a JWT (answers errors in the protocol's JSON). */
  recipient?: boolean;
  query?: z.ZodObject;
  /** Free-form filter parameters (the rows grammar). */
  filters?: boolean;
  body?: z.ZodType;
  /** Success status -> answer schema (undefined: no body) and media types. */
  answers: Record<number, { description: string; schema?: z.ZodType; media?: string[] }>;
  /** Statuses of its refusals (problem+json); the usual ones are added for every authenticated operation. */
  problems?: number[];
}

const json = (description: string, schema: z.ZodType = z.object({}).loose()) => ({ description, schema });
const ROW_MEDIA = ['application/json', 'text/csv', 'application/x-ndjson', 'application/vnd.apache.arrow.stream', 'application/vnd.apache.parquet'];

export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/healthz', tag: 'Health', summary: 'Whether the state store answers, and datasets found broken at start-up', public: true, answers: { 200: json('ok or degraded', Health) }, problems: [503] },
  { method: 'get', path: '/readyz', tag: 'Health', summary: 'Whether this replica may take traffic: policies loaded, state store answering, audit log writable, not draining', public: true, answers: { 200: json('ready, with the policy version') }, problems: [503] },
  { method: 'get', path: '/openapi.json', tag: 'Health', summary: 'This OpenAPI document', public: true, answers: { 200: json('OpenAPI 3.1') } },
  { method: 'get', path: '/docs', tag: 'Health', summary: 'The API reference, rendered from this document', public: true, answers: { 200: { description: 'HTML page', schema: z.string(), media: ['text/html'] } } },
  { method: 'get', path: '/docs/assets/:file', tag: 'Health', summary: "The reference page's scripts and styles (from swagger-ui-dist)", public: true, answers: { 200: { description: 'asset', schema: z.string(), media: ['text/css', 'text/javascript'] } }, problems: [404] },
  { method: 'get', path: '/console', tag: 'Health', summary: 'Redirects to /console/', public: true, answers: { 308: { description: 'to /console/' } } },
  { method: 'get', path: '/console/', tag: 'Health', summary: 'The web console for auditors, admins and stewards (its calls go to this API with the signed-in token)', public: true, answers: { 200: { description: 'HTML page', schema: z.string(), media: ['text/html'] } }, problems: [404] },
  { method: 'get', path: '/console/config.json', tag: 'Health', summary: "The console's sign-in settings: the OIDC issuer and client id when configured, else null", public: true, answers: { 200: json('{ oidc: { issuer, clientId } | null }') } },
  { method: 'get', path: '/console/assets/:file', tag: 'Health', summary: "The console's script and styles (built by npm run build)", public: true, answers: { 200: { description: 'asset', schema: z.string(), media: ['text/css', 'text/javascript'] } }, problems: [404] },
  { method: 'get', path: '/v1/me', tag: 'Catalog', summary: "The caller's subject and grants", answers: { 200: json('subject and grants', Me) } },
  { method: 'get', path: '/v1/datasets', tag: 'Catalog', summary: 'Datasets the caller may act on, with the columns they see', answers: { 200: json('datasets', DatasetList) } },
  { method: 'get', path: '/v1/datasets/:domain/:dataset', tag: 'Catalog', summary: 'One dataset as the caller sees it', answers: { 200: json('dataset', DatasetDescription) } },
  {
    method: 'get',
    path: '/v1/datasets/:domain/:dataset/rows',
    tag: 'Rows',
    summary: 'Governed read: the columns and rows the caller may see, masked where the policy says',
    query: ReadQuery,
    filters: true,
    answers: { 200: { description: 'rows (JSON, CSV, NDJSON, Arrow or Parquet: Accept or format=)', schema: Rows, media: ROW_MEDIA } },
    problems: [406],
  },
  { method: 'post', path: '/v1/datasets/:domain/:dataset/rows', tag: 'Rows', summary: 'Insert rows (or upsert with on_conflict; dry_run counts)', query: WriteQuery, body: InsertBody, answers: { 200: json('upsert counts'), 201: json('inserted') }, problems: [409, 413, 415, 422, 423] },
  { method: 'patch', path: '/v1/datasets/:domain/:dataset/rows', tag: 'Rows', summary: 'Update the rows the filters select', filters: true, body: UpdateBody, answers: { 200: json('updated count') }, problems: [409, 413, 415, 422, 423] },
  { method: 'get', path: '/v1/metrics', tag: 'Metrics', summary: 'Metrics the caller may query', answers: { 200: json('metrics') } },
  { method: 'get', path: '/v1/metrics/query', tag: 'Metrics', summary: 'Metric values grouped by dimensions (minGroupSize applied)', filters: true, answers: { 200: { description: 'groups (JSON or CSV)', schema: Rows, media: ['application/json', 'text/csv'] } }, problems: [406] },
  { method: 'post', path: '/v1/query', tag: 'Federated SQL', summary: 'One governed SELECT over domain.dataset tables across stores (explain=true: the plan)', query: QueryParams, body: QueryBody, answers: { 200: { description: 'columns and rows (JSON, CSV, NDJSON, Arrow, Parquet), or the plan with explain=true', schema: Rows, media: ROW_MEDIA } }, problems: [404, 406, 413, 415] },
  { method: 'post', path: '/v1/grants', tag: 'Grants', summary: 'Grant a role to a subject', body: NewGrantBody, answers: { 201: json('the grant', Grant) }, problems: [409] },
  { method: 'get', path: '/v1/grants', tag: 'Grants', summary: 'Grants the caller may list', query: GrantListQuery, answers: { 200: json('grants', z.object({ grants: z.array(Grant.loose()) })) } },
  { method: 'delete', path: '/v1/grants/:id', tag: 'Grants', summary: 'Revoke a grant', query: RevokeQuery, answers: { 204: { description: 'revoked' } } },
  { method: 'post', path: '/v1/grants/:id/renew', tag: 'Grants', summary: 'Renew a grant', body: RenewBody, answers: { 200: json('the grant', Grant) } },
  { method: 'get', path: '/v1/guardrails', tag: 'Guardrails', summary: 'Quotas, limits and active pauses', answers: { 200: json('guardrails') } },
  { method: 'post', path: '/v1/guardrails/pauses/:id/resume', tag: 'Guardrails', summary: 'Resume a writer paused by the anomaly breaker', body: ResumeBody, answers: { 200: json('the pause') }, problems: [409] },
  { method: 'get', path: '/v1/audit', tag: 'Audit', summary: 'Audit entries, newest first, keyset pages', query: AuditListQuery, answers: { 200: json('entries and nextCursor') } },
  { method: 'get', path: '/v1/audit/export', tag: 'Audit', summary: 'The audit log as CSV or NDJSON, streamed', query: AuditExportQuery, answers: { 200: { description: 'entries', schema: z.string(), media: ['application/x-ndjson', 'text/csv'] } } },
  { method: 'get', path: '/v1/audit/summary', tag: 'Audit', summary: 'Counts of decisions; with bucket=1h|1d a series over time, split by subject, dataset or refusal code (by=)', query: AuditSummaryQuery, answers: { 200: json('summary') } },
  { method: 'get', path: '/v1/audit/verify', tag: 'Audit', summary: 'Verify the hash chain and its signed head', answers: { 200: json('report') } },
  { method: 'post', path: '/v1/revocations', tag: 'Grants', summary: 'Revoke a token (jti) or every token of a subject issued before a time', body: RevokeBody, answers: { 201: json('the revocation') } },
  { method: 'get', path: '/v1/revocations', tag: 'Grants', summary: 'Token revocations', answers: { 200: json('revocations') } },
  { method: 'post', path: '/v1/subjects/:sub/suspend', tag: 'Subjects', summary: 'Suspend a subject', body: ReasonBody, answers: { 200: json('the suspension') }, problems: [409] },
  { method: 'post', path: '/v1/subjects/:sub/resume', tag: 'Subjects', summary: 'End the suspension of a subject', body: ReasonBody, answers: { 200: json('the resumption') } },
  { method: 'get', path: '/v1/reviews/grants', tag: 'Reviews', summary: 'Access review: unused and expiring grants', query: ReviewQuery, answers: { 200: json('the review') } },
  { method: 'post', path: '/v1/reviews/grants/apply', tag: 'Reviews', summary: 'Revoke the grants a review chose', body: ApplyBody, answers: { 200: json('revoked grants') } },
  { method: 'get', path: '/v1/explain', tag: 'Explain', summary: 'Why a subject may or may not act on a dataset', query: ExplainQuery, answers: { 200: json('the decision and its reasons') } },
  { method: 'post', path: '/v1/admin/policies/reload', tag: 'Operations', summary: 'Reload the policy files (validated first; a bad file keeps the policies in force)', answers: { 200: json('from, to and whether they changed') }, problems: [422] },
  { method: 'post', path: '/v1/shares', tag: 'Sharing', summary: 'Create a share of one domain for partners (Delta Sharing)', body: NewShareBody, answers: { 201: json('the share') }, problems: [409] },
  { method: 'get', path: '/v1/shares', tag: 'Sharing', summary: 'Shares the caller manages, their tables and recipients', query: ShareListQuery, answers: { 200: json('shares') } },
  { method: 'get', path: '/v1/shares/:name', tag: 'Sharing', summary: 'One share, its tables and recipients', answers: { 200: json('the share') } },
  { method: 'delete', path: '/v1/shares/:name', tag: 'Sharing', summary: "Delete a share: every recipient's next request is refused", query: ShareChangeQuery, answers: { 204: { description: 'deleted' } } },
  { method: 'post', path: '/v1/shares/:name/recipients', tag: 'Sharing', summary: 'Add a recipient: the profile file, shown once', body: NewRecipientBody, answers: { 201: json('the profile file (shareCredentialsVersion, endpoint, bearerToken, expirationTime)') }, problems: [409] },
  { method: 'delete', path: '/v1/shares/:name/recipients/:recipient', tag: 'Sharing', summary: "Revoke a recipient: its next request, and every file link it holds, is refused", query: ShareChangeQuery, answers: { 204: { description: 'revoked' } } },
  ...[
    ['get', '/delta-sharing/shares', 'Delta Sharing: list shares', SharingListQuery],
    ['get', '/delta-sharing/shares/:share', 'Delta Sharing: get share', undefined],
    ['get', '/delta-sharing/shares/:share/schemas', 'Delta Sharing: list schemas', SharingListQuery],
    ['get', '/delta-sharing/shares/:share/schemas/:schema/tables', 'Delta Sharing: list tables', SharingListQuery],
    ['get', '/delta-sharing/shares/:share/all-tables', 'Delta Sharing: list all tables', SharingListQuery],
    ['get', '/delta-sharing/shares/:share/schemas/:schema/tables/:table/version', 'Delta Sharing: table version (Delta-Table-Version header; HEAD too)', SharingVersionQuery],
  ].map(([method, path, summary, query]): Operation => ({ method: method as 'get', path: path as string, tag: 'Delta Sharing (recipients)', summary: summary as string, recipient: true, query: query as z.ZodObject | undefined, answers: { 200: json('the protocol answer (PROTOCOL.md)') } })),
  { method: 'get', path: '/delta-sharing/shares/:share/schemas/:schema/tables/:table/metadata', tag: 'Delta Sharing (recipients)', summary: 'Delta Sharing: table metadata (NDJSON)', recipient: true, answers: { 200: { description: 'protocol and metaData lines', schema: z.string(), media: ['application/x-ndjson'] } } },
  { method: 'post', path: '/delta-sharing/shares/:share/schemas/:schema/tables/:table/query', tag: 'Delta Sharing (recipients)', summary: 'Delta Sharing: read data (NDJSON: protocol, metaData, file lines)', recipient: true, body: SharingQueryBody, answers: { 200: { description: 'protocol, metaData and file lines', schema: z.string(), media: ['application/x-ndjson'] } } },
  { method: 'get', path: '/delta-sharing/files/:token', tag: 'Delta Sharing (recipients)', summary: 'A Parquet file of a share, at a short-lived signed URL re-checked on every download', public: true, answers: { 200: { description: 'Parquet bytes', schema: z.string(), media: ['application/vnd.apache.parquet'] } }, problems: [401, 403] },
];
