// What PostgreSQL drivers ask when they connect (psql, psycopg2, SQLAlchemy's dialect probes), answered
// from meshguard itself rather than run: an exact list of statements, compared after trimming, lower-
// casing and collapsing white space. Anything else is a query, and goes to the federated SQL use case.
import type { ColumnType } from '../policy/policy-schema';

export interface CannedAnswer {
  columns: { name: string; type: ColumnType }[];
  rows: Record<string, unknown>[];
}

const VERSION = 'PostgreSQL 16.0 (meshguard federated SQL; DuckDB engine)';

const one = (name: string, value: unknown, type: ColumnType = 'text'): CannedAnswer => ({ columns: [{ name, type }], rows: [{ [name]: value }] });

const ANSWERS: Record<string, (subject: string) => CannedAnswer> = {
  'select version()': () => one('version', VERSION),
  'select pg_catalog.version()': () => one('version', VERSION),
  'select current_schema()': () => one('current_schema', 'public'),
  'select current_user': (s) => one('current_user', s),
  'select current_database()': () => one('current_database', 'mesh'),
  'show transaction isolation level': () => one('transaction_isolation', 'read committed'),
  'show transaction_isolation': () => one('transaction_isolation', 'read committed'),
  'show standard_conforming_strings': () => one('standard_conforming_strings', 'on'),
  'show client_encoding': () => one('client_encoding', 'UTF8'),
  'show server_version': () => one('server_version', '16.0'),
  'show datestyle': () => one('DateStyle', 'ISO, MDY'),
  'show timezone': () => one('TimeZone', 'UTC'),
  "select cast('test plain returns' as varchar(60)) as anon_1": () => one('anon_1', 'test plain returns'),
  "select cast('test unicode returns' as varchar(60)) as anon_1": () => one('anon_1', 'test unicode returns'),
  // psycopg2's hstore probe (SQLAlchemy's psycopg2 dialect sends it on connect): meshguard has no hstore type.
  "select t.oid, typarray from pg_type t join pg_namespace ns on typnamespace = ns.oid where typname = 'hstore'": () => ({
    columns: [
      { name: 'oid', type: 'integer' },
      { name: 'typarray', type: 'integer' },
    ],
    rows: [],
  }),
};

function normalise(sql: string): string {
  let s = sql.trim();
  while (s.endsWith(';')) s = s.slice(0, -1).trimEnd();
  return s.split(/\s+/).join(' ').toLowerCase();
}

export function driverAnswer(sql: string, subject: string): CannedAnswer | undefined {
  return ANSWERS[normalise(sql)]?.(subject);
}
