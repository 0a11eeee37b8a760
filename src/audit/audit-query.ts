// The auditor's filters on the audit log -> knex conditions, the opaque keyset cursor, and the shape
// of an entry as the API returns it. Pure apart from building the knex query it is given.
import type { Knex } from 'knex';
import { z } from 'zod';
import { fail } from '../errors';
import type { AuditInput, AuditRow } from './audit-entry';

/** A date (midnight UTC) or a date-time with its zone (Z or an offset): never the server's local time. */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

export function parseInstant(v: string): number | undefined {
  const t = ISO_INSTANT.test(v) ? Date.parse(v.replace(' ', 'T')) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a plain name');
const instant = z
  .string()
  .refine((v) => parseInstant(v) !== undefined, 'must be an ISO 8601 date, or date-time with Z or an offset')
  .transform((v) => parseInstant(v)!);

/** Filters shared by list, export and summary; unknown parameters are refused by zod's strictObject. */
export const FILTERS = {
  subject: z.string().min(1).max(255).optional(),
  action: z.string().min(1).max(64).optional(),
  decision: z.enum(['allow', 'deny']).optional(),
  domain: name.optional(),
  dataset: name.optional(),
  since: instant.optional(),
  until: instant.optional(),
  status: z.coerce.number().int().min(100).max(599).optional(),
};
export const AuditFilters = z.strictObject(FILTERS);
export type AuditFilter = z.infer<typeof AuditFilters>;

/** Only entries of the signed chain: a row beyond the head was added outside it, and is no part of the log. */
export function withinHead(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.where('id', '<=', (head: Knex.QueryBuilder) => head.select('last_id').from('mg_audit_head').where('id', 1));
}

export function whereFilters(q: Knex.QueryBuilder, f: AuditFilter): Knex.QueryBuilder {
  withinHead(q);
  if (f.subject !== undefined) q.where('subject', f.subject);
  if (f.action !== undefined) q.where('action', f.action);
  if (f.decision !== undefined) q.where('decision', f.decision);
  if (f.status !== undefined) q.where('status', f.status);
  if (f.since !== undefined) q.where('ts', '>=', f.since);
  if (f.until !== undefined) q.where('ts', '<', f.until);
  // Resources of datasets are `domain.dataset`; compared by prefix/suffix, so no LIKE wildcards apply.
  if (f.domain !== undefined && f.dataset !== undefined) q.where('resource', `${f.domain}.${f.dataset}`);
  else if (f.domain !== undefined) q.whereRaw('substr(resource, 1, ?) = ?', [f.domain.length + 1, `${f.domain}.`]);
  else if (f.dataset !== undefined) q.whereRaw('substr(resource, length(resource) - ?) = ?', [f.dataset.length, `.${f.dataset}`]);
  return q;
}

/** Cursors are opaque to clients: base64url of the last id returned, with a version tag. */
export function encodeCursor(lastId: number): string {
  return Buffer.from(`a1:${lastId}`).toString('base64url');
}

export function decodeCursor(cursor: string): number {
  const m = /^a1:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor) || !m) throw fail('invalid_cursor', 'cursor is not one this gateway returned; start again without it');
  return Number(m[1]);
}

const parseJson = (v: string | null): unknown => (v === null ? null : JSON.parse(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** An entry as the API answers it: the recorded fields (every one present, null when unset), its
 *  id, the time as ISO 8601, and its place in the hash chain. */
export type AuditEntryOut = { [K in Exclude<keyof AuditInput, 'ts'>]-?: Exclude<AuditInput[K], undefined> } & {
  id: number;
  ts: string;
  prevHash: string;
  hash: string;
};

export function toEntry(r: AuditRow): AuditEntryOut {
  return {
    id: Number(r.id),
    ts: new Date(Number(r.ts)).toISOString(),
    requestId: r.request_id,
    subject: r.subject,
    action: r.action,
    resource: r.resource,
    decision: r.decision as AuditInput['decision'],
    reason: r.reason,
    status: Number(r.status),
    columns: parseJson(r.columns) as string[] | null,
    rowCount: num(r.row_count),
    fingerprint: r.fingerprint,
    clientIp: r.client_ip,
    latencyMs: num(r.latency_ms),
    grantIds: parseJson(r.grant_ids) as string[] | null,
    policyVersion: r.policy_version,
    details: parseJson(r.details) as Record<string, unknown> | null,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/** The columns of the CSV export, in order. */
export const CSV_COLUMNS: (keyof AuditEntryOut)[] = [
  'id', 'ts', 'requestId', 'subject', 'action', 'resource', 'decision', 'reason', 'status', 'columns', 'rowCount',
  'fingerprint', 'clientIp', 'latencyMs', 'grantIds', 'policyVersion', 'details', 'prevHash', 'hash',
];
