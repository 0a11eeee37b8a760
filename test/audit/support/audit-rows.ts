// Reads of mg_audit for the audit tests (the tests look at the stored rows, not only the API).
import type { AuditRow } from '../../../src/audit/audit-entry';
import type { TestGateway } from '../../helpers/test-gateway';

export type StoredEntry = AuditRow;

export async function entriesFor(gw: TestGateway, requestId: string): Promise<StoredEntry[]> {
  const rows = await gw.deps.state.knex('mg_audit').where({ request_id: requestId }).orderBy('id');
  return rows.map((r: StoredEntry) => ({ ...r, id: Number(r.id), ts: Number(r.ts), status: Number(r.status), row_count: r.row_count === null ? null : Number(r.row_count) }));
}

export async function allEntriesText(gw: TestGateway): Promise<string> {
  return JSON.stringify(await gw.deps.state.knex('mg_audit').select('*'));
}
