// What one audit entry holds, and the hash that chains it to the entry before it.
import crypto from 'node:crypto';
import { boundJson, boundNullable, boundText } from './audit-field';

export interface AuditInput {
  ts: Date;
  requestId: string;
  subject: string | null;
  action: string;
  resource: string | null;
  decision: 'allow' | 'deny';
  reason: string | null;
  status: number;
  columns?: string[] | null;
  rowCount?: number | null;
  fingerprint?: string | null;
  clientIp?: string | null;
  latencyMs?: number | null;
  grantIds?: string[] | null;
  policyVersion?: string | null;
  /** Anything else worth keeping (grant before/after, the admin's reason); never tokens or data values. */
  details?: Record<string, unknown> | null;
}

/** The row as stored in mg_audit. */
export interface AuditRow {
  id: number;
  ts: number;
  request_id: string;
  subject: string | null;
  action: string;
  resource: string | null;
  decision: string;
  reason: string | null;
  status: number;
  columns: string | null;
  row_count: number | null;
  fingerprint: string | null;
  client_ip: string | null;
  latency_ms: number | null;
  grant_ids: string | null;
  policy_version: string | null;
  details: string | null;
  prev_hash: string;
  hash: string;
}

/** The stored fields of an entry, in the order they are inserted. */
export const AUDIT_ROW_FIELDS: (keyof AuditRow)[] = [
  'id', 'ts', 'request_id', 'subject', 'action', 'resource', 'decision', 'reason', 'status', 'columns', 'row_count',
  'fingerprint', 'client_ip', 'latency_ms', 'grant_ids', 'policy_version', 'details', 'prev_hash', 'hash',
];

/** The most characters each text field holds: what its column holds on both backends (varchar(n) on
 *  PostgreSQL, see migrations/0001), and a bound on the text columns so one entry stays small. */
export const FIELD_MAX = {
  request_id: 64,
  subject: 255,
  action: 64,
  resource: 255,
  decision: 8,
  reason: 2000,
  columns: 8000,
  fingerprint: 2000,
  client_ip: 64,
  grant_ids: 8000,
  policy_version: 64,
  details: 16000,
} as const;

/** The entry as a row: every text field escaped and bounded (audit-field.ts) before it is hashed, so
 *  the hash covers exactly what is stored and no request-derived value can fail the commit. */
export function toRow(id: number, e: AuditInput, prevHash: string): AuditRow {
  const M = FIELD_MAX;
  const row: AuditRow = {
    id,
    ts: e.ts.getTime(),
    request_id: boundText(e.requestId, M.request_id),
    subject: boundNullable(e.subject, M.subject),
    action: boundText(e.action, M.action),
    resource: boundNullable(e.resource, M.resource),
    decision: e.decision,
    reason: boundNullable(e.reason, M.reason),
    status: e.status,
    columns: boundJson(e.columns, M.columns),
    row_count: e.rowCount ?? null,
    fingerprint: boundNullable(e.fingerprint, M.fingerprint),
    client_ip: boundNullable(e.clientIp, M.client_ip),
    latency_ms: e.latencyMs === undefined || e.latencyMs === null ? null : Math.round(e.latencyMs * 1000) / 1000,
    grant_ids: boundJson(e.grantIds, M.grant_ids),
    policy_version: boundNullable(e.policyVersion, M.policy_version),
    details: boundJson(e.details, M.details),
    prev_hash: prevHash,
    hash: '',
  };
  row.hash = hashRow(row);
  return row;
}

/** SHA-256 over every stored field in a fixed order and the previous entry's hash. Numbers are
 *  normalised (PostgreSQL returns bigint as text) so the same row hashes the same on either store. */
export function hashRow(r: Omit<AuditRow, 'hash'>): string {
  const num = (v: number | string | null) => (v === null ? null : Number(v));
  const fields = [
    num(r.id), num(r.ts), r.request_id, r.subject, r.action, r.resource, r.decision, r.reason, num(r.status),
    r.columns, num(r.row_count), r.fingerprint, r.client_ip, num(r.latency_ms), r.grant_ids, r.policy_version,
    r.details, r.prev_hash,
  ];
  return crypto.hash('sha256', JSON.stringify(fields), 'hex');
}
