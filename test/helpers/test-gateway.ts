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

export const PG_URL = process.env.MESHGUARD_TEST_PG_URL;
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
}

/** Copies the bundled policies to `dir` and, for PostgreSQL, points every store at one schema. */
function preparePolicies(dir: string, pgSchema?: string): void {
  fs.cpSync(POLICIES, dir, { recursive: true });
  if (pgSchema) {
    const stores = ['sales', 'marketing', 'hr'].map((s) => `  ${s}:\n    kind: postgres\n    urlEnv: MESHGUARD_TEST_PG_URL\n    schema: ${pgSchema}_${s}\n`);
    fs.writeFileSync(path.join(dir, 'stores.yaml'), `stores:\n${stores.join('')}`);
  }
}

export async function startTestGateway(opts: TestGatewayOptions = {}): Promise<TestGateway> {
  if (opts.pg && !PG_URL) throw new Error('MESHGUARD_TEST_PG_URL is not set');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-test-'));
  const policiesDir = path.join(dataDir, 'policies');
  const pgSchema = opts.pg ? `mgt_${crypto.randomBytes(5).toString('hex')}` : undefined;
  preparePolicies(policiesDir, pgSchema);
  opts.policies?.(policiesDir);
  if (pgSchema) {
    const admin = knexFactory({ client: 'pg', connection: PG_URL });
    try {
      for (const s of ['sales', 'marketing', 'hr']) await admin.raw('create schema if not exists ??', [`${pgSchema}_${s}`]);
    } finally {
      await admin.destroy();
    }
  }
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
    ...(pgSchema ? { MESHGUARD_STATE_URL: PG_URL!, MESHGUARD_STATE_SCHEMA: pgSchema, MESHGUARD_TEST_PG_URL: PG_URL! } : {}),
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
          for (const s of [pgSchema, `${pgSchema}_sales`, `${pgSchema}_marketing`, `${pgSchema}_hr`]) await admin.raw('drop schema if exists ?? cascade', [s]);
        } finally {
          await admin.destroy();
        }
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs a describe block on SQLite, and again on PostgreSQL when MESHGUARD_TEST_PG_URL is set. */
export const BACKENDS: { name: string; pg: boolean }[] = [{ name: 'sqlite', pg: false }, ...(PG_URL ? [{ name: 'postgres', pg: true }] : [])];

export const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

/** The app on a real listener on 127.0.0.1 (a free port), for tests that read answers as they stream. */
export async function listen(app: Gateway['app']): Promise<{ server: http.Server; port: number }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, port: (server.address() as net.AddressInfo).port };
}
