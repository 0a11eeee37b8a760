// One federated query's embedded DuckDB: an in-memory database of its own, with no access to files,
// URLs or extensions (enable_external_access=false, no extension autoload), its configuration locked
// so the query cannot undo that, a memory limit and few threads. Closed when the query ends.
import type * as DuckDB from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { fail } from '../errors';

export interface QueryLimits {
  timeoutMs: number;
  memoryLimit: string;
}

let duckdb: typeof DuckDB | undefined;
/** The engine, loaded on the first federated query: its native library is large (RSS), and a gateway
 *  that never answers POST /v1/query or the PostgreSQL wire protocol need not carry it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const engine = (): typeof DuckDB => (duckdb ??= require('@duckdb/node-api') as typeof DuckDB);

export class DuckdbSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async open(limits: QueryLimits): Promise<DuckdbSession> {
    const instance = await engine().DuckDBInstance.create(':memory:', {
      enable_external_access: 'false',
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      allow_community_extensions: 'false',
      memory_limit: limits.memoryLimit,
      threads: '2',
      lock_configuration: 'true',
    });
    return new DuckdbSession(instance, await instance.connect());
  }

  /** DuckDB's parse tree of `sql` (json_serialize_sql), and how many statements the text holds. */
  async parse(sql: string): Promise<{ tree: Record<string, unknown>; statements: number }> {
    const statements = (await this.connection.extractStatements(sql).catch(() => undefined))?.count ?? 1;
    const r = await this.connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
    return { tree: JSON.parse(String(r.getRowsJS()[0][0])) as Record<string, unknown>, statements };
  }

  /**
   * The kind of a statement other than SELECT (DuckDB's StatementType: SET, TRANSACTION, LOAD, ...),
   * from preparing it on this empty, locked-down database: nothing runs. Undefined when it does not
   * prepare (a statement naming tables that are not there, say).
   */
  async statementKind(sql: string): Promise<string | undefined> {
    try {
      const extracted = await this.connection.extractStatements(sql);
      if (extracted.count !== 1) return undefined;
      const prepared = await extracted.prepare(0);
      const kind = engine().StatementType[prepared.statementType];
      prepared.destroySync();
      return kind;
    } catch {
      return undefined;
    }
  }

  /** SQL text back from a (rewritten) parse tree: json_deserialize_sql. */
  async deserialize(tree: unknown): Promise<string> {
    const r = await this.connection.runAndReadAll('SELECT json_deserialize_sql(json($1::VARCHAR))', [JSON.stringify(tree)]);
    return String(r.getRowsJS()[0][0]);
  }

  /** Runs `work` on the connection, interrupting it past the time limit (400 query_timeout). */
  async withTimeout<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.connection.interrupt();
    }, timeoutMs);
    try {
      return await work();
    } catch (e) {
      if (timedOut) throw fail('query_timeout', `the query ran past its time limit of ${timeoutMs} ms (MESHGUARD_QUERY_TIMEOUT); narrow it`, { limitMs: timeoutMs }, e);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async run(sql: string, params?: DuckDBValue[]) {
    return this.connection.run(sql, params);
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** An identifier from the catalog (plain letters, digits and _, checked by the policy schema), quoted. */
export const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
