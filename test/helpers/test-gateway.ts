// Boots the real gateway in-process on a temporary data dir (SQLite), or with its state and the
// demo stores in PostgreSQL (a fresh schema per gateway) when `pg: true`. Tests mint their own keys.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import knexFactory from 'knex';
import pino from 'pino';
import request from 'supertest';
import type { Clock } from '../../src/clock';
import { loadConfig } from '../../src/config';
import { openGateway, type Gateway } from '../../src/gateway';
import { createHttpServer } from '../../src/http/http-server';

export const PG_URL = process.env.MESHGUARD_TEST_PG_URL;
/** MySQL/MariaDB for the mysql store kind (mysql://root@127.0.0.1:3306/test): those tests run when it is set. */
export const MYSQL_URL = process.env.MESHGUARD_TEST_MYSQL_URL;

export type DemoStore = 'sales' | 'marketing' | 'hr';
export type StoreKind = 'sqlite' | 'postgres' | 'mysql';
export const ROOT = path.resolve(__dirname, '../..');
export const POLICIES = path.join(ROOT, 'policies');

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(private t = Date.now()) {}
  now(): Date {
    return new Date(this.t);
  }
  set(d: Date | number): void {
    this.t = typeof d === 'number' ? d : d.getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export interface TestGateway extends Gateway {
  dataDir: string;
  secret: string;
  env: Record<string, string>;
  /** A signed HS256 token for `sub`; `claims` override or add claims (exp, nbf, jti, ...). */
  token(sub: string, claims?: Record<string, unknown>): string;
  /** supertest against the in-process app. */
  http(): request.Agent;
  pgSchema?: string;
}

export interface TestGatewayOptions {
  pg?: boolean;
  clock?: Clock;
  env?: Record<string, string>;
  /** Rewrites the policies before start (a copy in the temp dir): (dir) => void. */
  policies?: (dir: string) => void;
  seedDemo?: boolean;
  /** Puts some demo stores on another kind (a fresh PostgreSQL schema or MySQL database each); the state stays as `pg` says. */
  storeKinds?: Partial<Record<DemoStore, StoreKind>>;
}

/** The connection string of a MySQL database `db` on the test server. */
function mysqlUrlOf(db: string): string {
  const u = new URL(MYSQL_URL!);
  u.pathname = `/${db}`;
  return u.toString();
}

/** Creates (or drops) the PostgreSQL schemas and MySQL databases of a gateway's stores. */
async function storePlaces(kinds: Record<DemoStore, StoreKind>, prefix: string, op: 'create' | 'drop'): Promise<void> {
  const pg = (Object.keys(kinds) as DemoStore[]).filter((s) => kinds[s] === 'postgres');
  const my = (Object.keys(kinds) as DemoStore[]).filter((s) => kinds[s] === 'mysql');
  if (pg.length) {
    const admin = knexFactory({ client: 'pg', connection: PG_URL });
    try {
      for (const s of pg) await admin.raw(op === 'create' ? 'create schema if not exists ??' : 'drop schema if exists ?? cascade', [`${prefix}_${s}`]);
    } finally {
      await admin.destroy();
    }
  }
  if (my.length) {
    const admin = knexFactory({ client: 'mysql2', connection: MYSQL_URL });
    try {
      for (const s of my) await admin.raw(op === 'create' ? 'create database if not exists ??' : 'drop database if exists ??', [`${prefix}_${s}`]);
    } finally {
      await admin.destroy();
    }
  }
}

/** Copies the bundled policies to `dir` and points each demo store at its kind: a schema of its own on PostgreSQL, a database on MySQL. */
function preparePolicies(dir: string, kinds: Record<DemoStore, StoreKind>, prefix: string): Record<string, string> {
  fs.cpSync(POLICIES, dir, { recursive: true });
  const env: Record<string, string> = {};
  if (Object.values(kinds).every((k) => k === 'sqlite')) return env;
  const stores = (Object.keys(kinds) as DemoStore[]).map((s) => {
    if (kinds[s] === 'postgres') return `  ${s}:\n    kind: postgres\n    urlEnv: MESHGUARD_TEST_PG_URL\n    schema: ${prefix}_${s}\n`;
    if (kinds[s] === 'mysql') {
      env[`MG_TEST_MYSQL_${s.toUpperCase()}_URL`] = mysqlUrlOf(`${prefix}_${s}`);
      return `  ${s}:\n    kind: mysql\n    urlEnv: MG_TEST_MYSQL_${s.toUpperCase()}_URL\n`;
    }
    return `  ${s}:\n    kind: sqlite\n    file: ${s}.sqlite\n`;
  });
  fs.writeFileSync(path.join(dir, 'stores.yaml'), `stores:\n${stores.join('')}`);
  return env;
}

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  const kinds: Record<DemoStore, StoreKind> = { sales: opts.pg ? 'postgres' : 'sqlite', marketing: opts.pg ? 'postgres' : 'sqlite', hr: opts.pg ? 'postgres' : 'sqlite', ...opts.storeKinds };
  if ((opts.pg || Object.values(kinds).includes('postgres')) && !PG_URL) throw new Error('MESHGUARD_TEST_PG_URL is not set');
  if (Object.values(kinds).includes('mysql') && !MYSQL_URL) throw new Error('MESHGUARD_TEST_MYSQL_URL is not set');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-test-'));
  const policiesDir = path.join(dataDir, 'policies');
  const prefix = `mgt_${crypto.randomBytes(5).toString('hex')}`;
  const pgSchema = opts.pg ? prefix : undefined;
  const storeEnv = preparePolicies(policiesDir, kinds, prefix);
  opts.policies?.(policiesDir);
  await storePlaces(kinds, prefix, 'create');
  const secret = crypto.randomBytes(32).toString('hex');
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    MESHGUARD_DATA_DIR: dataDir,
    MESHGUARD_POLICIES_DIR: policiesDir,
    MESHGUARD_JWT_SECRET: secret,
    MESHGUARD_JWT_ISSUER: 'meshguard-tests',
    MESHGUARD_JWT_AUDIENCE: 'meshguard',
    MESHGUARD_SEED_DEMO: opts.seedDemo === false ? 'false' : 'true',
    LOG_LEVEL: 'silent',
    ...(pgSchema ? { MESHGUARD_STATE_URL: PG_URL!, MESHGUARD_STATE_SCHEMA: pgSchema } : {}),
    ...(PG_URL && Object.values(kinds).includes('postgres') ? { MESHGUARD_TEST_PG_URL: PG_URL } : {}),
    ...storeEnv,
    ...opts.env,
  };
  const config = loadConfig(env, dataDir);
  const gw = await openGateway(config, { clock: opts.clock, logger: pino({ level: 'silent' }) });
  const clock = opts.clock;
  return {
    ...gw,
    dataDir,
    secret,
    env,
    pgSchema,
    token(sub, claims = {}) {
      const now = Math.floor((clock ? clock.now().getTime() : Date.now()) / 1000);
      return jwt.sign({ sub, iat: now, exp: now + 3600, jti: crypto.randomUUID(), iss: 'meshguard-tests', aud: 'meshguard', ...claims }, secret, {
        algorithm: 'HS256',
      });
    },
    http: () => request.agent(gw.app),
    async close() {
      await gw.close();
      if (pgSchema) {
        const admin = knexFactory({ client: 'pg', connection: PG_URL });
        try {
          await admin.raw('drop schema if exists ?? cascade', [pgSchema]);
        } finally {
          await admin.destroy();
        }
      }
      await storePlaces(kinds, prefix, 'drop');
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a describe block on SQLite, and again on PostgreSQL when MESHGUARD_TEST_PG_URL is set. */
export const BACKENDS: { name: string; pg: boolean }[] = [{ name: 'sqlite', pg: false }, ...(PG_URL ? [{ name: 'postgres', pg: true }] : [])];

/** The row tests' backends: those above, and every demo store on MySQL/MariaDB when MESHGUARD_TEST_MYSQL_URL is set. */
export const ROW_BACKENDS: { name: string; pg: boolean; storeKinds?: Partial<Record<DemoStore, StoreKind>> }[] = [
  ...BACKENDS,
  ...(MYSQL_URL ? [{ name: 'mysql', pg: false, storeKinds: { sales: 'mysql', marketing: 'mysql', hr: 'mysql' } as const }] : []),
];

export const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

/** The app on a real listener on 127.0.0.1 (a free port), for tests that read answers as they stream:
 *  the server `npm start` makes (http/http-server.ts). */
export async function listen(app: Gateway['app']): Promise<{ server: http.Server; port: number }> {
  const server = createHttpServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}
