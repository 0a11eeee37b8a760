// What one audit entry holds, and the hash that chains it to the entry before it.
import crypto from 'node:crypto';

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

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

export function toRow(id: number, e: AuditInput, prevHash: string): AuditRow {
  const row: Omit<AuditRow, 'hash'> = {
    id,
    ts: e.ts.getTime(),
    request_id: e.requestId,
    subject: e.subject,
    action: e.action,
    resource: e.resource,
    decision: e.decision,
    reason: e.reason,
    status: e.status,
    columns: json(e.columns),
    row_count: e.rowCount ?? null,
    fingerprint: e.fingerprint ?? null,
    client_ip: e.clientIp ?? null,
    latency_ms: e.latencyMs === undefined || e.latencyMs === null ? null : Math.round(e.latencyMs * 1000) / 1000,
    grant_ids: json(e.grantIds),
    policy_version: e.policyVersion ?? null,
    details: json(e.details),
    prev_hash: prevHash,
  };
  return { ...row, hash: hashRow(row) };
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
  return crypto.createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}
