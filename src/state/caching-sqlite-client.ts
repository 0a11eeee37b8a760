// knex's better-sqlite3 client, with each connection's statements held prepared by SQL text. knex
// prepares every query afresh; for the statements the gateway repeats with new values (a 100-row
// insert, the grant and counter queries) the prepare cost more than the run (the write benchmark's
// profile: 760 us of prepare per 100-row insert). Same SQL, same bindings, same results; only the
// prepare is skipped. Queries that set per-query driver options (safeIntegers) are prepared afresh.
import type BetterSqlite3 from 'better-sqlite3';
import { cachedStatement } from './held-statements';

interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: unknown;
  response?: unknown;
  context?: { lastID: number | bigint; changes: number };
}

interface BetterSqlite3Client {
  _query(connection: BetterSqlite3.Database, obj: QueryObject): Promise<QueryObject>;
  _formatBindings(bindings: unknown[] | undefined): unknown[];
  _optSafeIntegers(options: unknown): boolean | undefined;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Base = require('knex/lib/dialects/better-sqlite3') as { new (config: unknown): BetterSqlite3Client; prototype: BetterSqlite3Client };

export class CachingSqliteClient extends Base {
  override async _query(connection: BetterSqlite3.Database, obj: QueryObject): Promise<QueryObject> {
    if (!obj.sql || !connection || this._optSafeIntegers(obj.options) !== undefined) return Base.prototype._query.call(this, connection, obj);
    const statement = cachedStatement(connection, obj.sql);
    const bindings = this._formatBindings(obj.bindings);
    if (statement.reader) {
      obj.response = statement.all(bindings);
      return obj;
    }
    const response = statement.run(bindings);
    obj.response = response;
    obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
    return obj;
  }
}
