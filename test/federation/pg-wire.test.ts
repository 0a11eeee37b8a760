// The PostgreSQL wire protocol (issue 14) with real clients: psql, and Python's psycopg2 with
// pandas.read_sql through SQLAlchemy, as an analyst (masked) and a steward (clear).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { startPgListener, type PgListener } from '../../src/pgwire/pg-listener';
import { bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const run = promisify(execFile);

/** A python3 that imports psycopg2, pandas and sqlalchemy (Debian's, which .ci/run installs), or undefined. */
async function findPython(): Promise<string | undefined> {
  for (const bin of ['/usr/bin/python3', 'python3']) {
    try {
      await run(bin, ['-c', 'import psycopg2, pandas, sqlalchemy']);
      return bin;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

describe('the PostgreSQL wire protocol', () => {
  let gw: TestGateway;
  let pg: PgListener;
  let python: string | undefined;

  const psql = async (user: string, sql: string, token = gw.token(user)) => {
    try {
      const r = await run('psql', ['-X', '-A', '-t', '-F', '|', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', 'mesh', '-c', sql], {
        env: { ...process.env, PGPASSWORD: token, PGSSLMODE: 'disable', PGCONNECT_TIMEOUT: '10' },
      });
      return { ok: true, out: r.stdout.trim(), err: r.stderr };
    } catch (e) {
      const err = e as { stdout: string; stderr: string };
      return { ok: false, out: err.stdout?.trim() ?? '', err: err.stderr ?? '' };
    }
  };
  const rowsOf = async (who: string, path: string) => (await gw.http().get(path).set(bearer(gw.token(who)))).body.rows as Record<string, unknown>[];

  beforeAll(async () => {
    gw = await startTestGateway();
    pg = await startPgListener(gw.deps, { port: 0, host: '127.0.0.1' });
    python = await findPython();
    if (!python) process.stdout.write('pg-wire.test: python3 with psycopg2, pandas and sqlalchemy not found: the Python client tests are SKIPPED (.ci/run installs them)\n');
  }, 60_000);
  afterAll(async () => {
    await pg?.close();
    await gw?.close();
  });

  it('psql as alice (analyst): masked emails, the same rows as the HTTP answer', async () => {
    const r = await psql('alice', 'SELECT id, email FROM sales.customers ORDER BY id LIMIT 3');
    expect(r.err).toBe('');
    const http = await rowsOf('alice', '/v1/datasets/sales/customers/rows?select=id,email&order=id.asc&limit=3');
    expect(r.out.split('\n')).toEqual(http.map((c) => `${c.id}|${c.email}`));
    expect(r.out).not.toContain('@');
  });

  it('psql as carol (hr steward): salaries in clear', async () => {
    const r = await psql('carol', 'SELECT id, salary FROM hr.employees ORDER BY id LIMIT 2');
    expect(r.ok).toBe(true);
    const http = await rowsOf('carol', '/v1/datasets/hr/employees/rows?select=id,salary&order=id.asc&limit=2');
    expect(r.out.split('\n')).toEqual(http.map((e) => `${e.id}|${e.salary}`));
  });

  it('answers SQLSTATE 42501 to a refusal, 42601 to a syntax error, 28P01 to a bad token (node-postgres as the client)', async () => {
    const codeOf = async (user: string, password: string, sql: string) => {
      const c = new Client({ host: '127.0.0.1', port: pg.port, user, password, database: 'mesh' });
      try {
        await c.connect();
        await c.query(sql);
        return 'ok';
      } catch (e) {
        return (e as { code?: string }).code;
      } finally {
        await c.end().catch(() => undefined);
      }
    };
    expect(await codeOf('alice', gw.token('alice'), 'SELECT salary FROM hr.employees')).toBe('42501');
    expect(await codeOf('alice', gw.token('alice'), 'SELECT email FROM marketing.campaigns')).toBe('42501');
    expect(await codeOf('alice', gw.token('alice'), 'DROP TABLE sales.orders')).toBe('42501');
    expect(await codeOf('alice', gw.token('alice'), 'SELEC 1')).toBe('42601');
    expect(await codeOf('alice', 'not-a-token', 'SELECT 1')).toBe('28P01');
    expect(await codeOf('bob', gw.token('alice'), 'SELECT 1')).toBe('28P01');
    expect(await codeOf('alice', gw.token('alice'), 'SELECT count(*) FROM sales.orders')).toBe('ok');
  });

  it('refuses reading files over the wire too', async () => {
    const r = await psql('alice', "SELECT * FROM read_csv('/etc/passwd')");
    expect(r.ok).toBe(false);
    expect(r.err).not.toContain('root:');
  });

  it('psycopg2 and pandas.read_sql through SQLAlchemy, as alice (masked) and carol (clear)', async () => {
    if (!python) return; // said above, in the test output
    const script = `
import json, sys, warnings
import pandas as pd
import psycopg2
from sqlalchemy import create_engine, text
port, user, token, sql = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
conn = psycopg2.connect(host='127.0.0.1', port=port, user=user, password=token, dbname='mesh', sslmode='disable')
with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    raw = pd.read_sql(sql, conn)
conn.close()
engine = create_engine(f'postgresql+psycopg2://{user}:{token}@127.0.0.1:{port}/mesh?sslmode=disable')
with engine.connect() as c:
    df = pd.read_sql(text(sql), c)
print(json.dumps({'raw': raw.astype(str).values.tolist(), 'sa': df.astype(str).values.tolist()}))
`;
    for (const [user, sql, path, col] of [
      ['alice', 'SELECT id, email FROM sales.customers ORDER BY id LIMIT 3', '/v1/datasets/sales/customers/rows?select=id,email&order=id.asc&limit=3', 'email'],
      ['carol', 'SELECT id, name FROM hr.employees ORDER BY id LIMIT 3', '/v1/datasets/hr/employees/rows?select=id,name&order=id.asc&limit=3', 'name'],
    ]) {
      const r = await run(python, ['-c', script, String(pg.port), user, gw.token(user), sql]);
      const out = JSON.parse(r.stdout) as { raw: string[][]; sa: string[][] };
      const http = (await rowsOf(user, path)).map((x) => [String(x.id), String(x[col])]);
      expect(out.raw).toEqual(http);
      expect(out.sa).toEqual(http);
    }
  }, 60_000);
});
