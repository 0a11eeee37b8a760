// The environment, validated once at start-up. process.env is read here and nowhere else:
// the rest of the code receives a typed Config (store credentials included, looked up by name).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors';
import { parseDuration } from './parse-duration';

/** 256 MiB: far above any JSON page (10,000 rows), room for bulk exports; a stream past it is cut with an error. */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const EnvSchema = z.object({
  NODE_ENV: z.string().optional(),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  /** Set by sudo: the operator behind a CLI run as root, for the audit log. */
  SUDO_USER: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MESHGUARD_DATA_DIR: z.string().min(1).default('./data'),
  MESHGUARD_POLICIES_DIR: z.string().min(1).default('./policies'),
  MESHGUARD_STATE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL (leave unset for the embedded SQLite state)')
    .optional(),
  MESHGUARD_STATE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a plain lower-case schema name').optional(),
  MESHGUARD_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  MESHGUARD_JWT_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  MESHGUARD_JWT_ISSUER: z.string().min(1).optional(),
  MESHGUARD_JWT_AUDIENCE: z.string().min(1).optional(),
  // identity providers (issue 17): keys from a JWKS URL, or from an OIDC issuer's discovery document.
  MESHGUARD_JWT_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  MESHGUARD_OIDC_ISSUER: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  // the console (issue 18): where its built files are, and the OIDC client it signs in as (authorization code + PKCE).
  MESHGUARD_CONSOLE_DIR: z.string().min(1).optional(),
  MESHGUARD_CONSOLE_CLIENT_ID: z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be a client id of printable characters').optional(),
  MESHGUARD_SUBJECT_CLAIM: z.string().regex(/^[A-Za-z_][A-Za-z0-9_:.-]{0,63}$/, 'must be a claim name such as sub, email or preferred_username').default('sub'),
  /** Least time between two fetches of the key set for an unknown kid (a flood of made-up kids costs one fetch). */
  MESHGUARD_JWKS_COOLDOWN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  // Prometheus (issue 17): /metrics on a listener of its own, never on the public port.
  MESHGUARD_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  MESHGUARD_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  MESHGUARD_BOOTSTRAP_ADMIN: z.string().min(1).optional(),
  MESHGUARD_SEED_DEMO: bool.optional(),
  MESHGUARD_AUDIT_FLUSH_MAX: z.coerce.number().int().min(1).max(10000).default(512),
  // guardrails (issue 5)
  MESHGUARD_ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  MESHGUARD_ALERT_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
  MESHGUARD_ALERT_BACKOFF_MS: z.coerce.number().int().min(1).max(600_000).default(500),
  // least privilege (issue 4)
  MESHGUARD_TOKEN_MAX_AGE: z
    .string()
    .default('24h')
    .transform((v, c) => {
      const ms = parseDuration(v);
      if (ms === undefined || ms < 60_000 || ms > 30 * 86_400_000) {
        c.addIssue({ code: 'custom', message: 'must be a duration from 1m to 30d, such as 3600, 12h or 1d' });
        return z.NEVER;
      }
      return ms;
    }),
  MESHGUARD_USAGE_FLUSH_MS: z.coerce.number().int().min(100).max(600_000).default(5000),
  // hardening (issue 10)
  MESHGUARD_MAX_RESPONSE_BYTES: z.coerce.number().int().min(1024).max(Number.MAX_SAFE_INTEGER).default(DEFAULT_MAX_RESPONSE_BYTES),
  // federated SQL (issue 14): POST /v1/query's time limit, answer cap, rows fetched per dataset, engine memory
  MESHGUARD_QUERY_TIMEOUT: z
    .string()
    .default('30s')
    .transform((v, c) => {
      const ms = parseDuration(v);
      if (ms === undefined || ms < 1000 || ms > 3_600_000) {
        c.addIssue({ code: 'custom', message: 'must be a duration from 1s to 1h, such as 30, 30s or 2m' });
        return z.NEVER;
      }
      return ms;
    }),
  // The PostgreSQL wire protocol (issue 14): off unless a port is set; TLS when both files are set.
  MESHGUARD_PG_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  MESHGUARD_PG_TLS_CERT: z.string().min(1).optional(),
  MESHGUARD_PG_TLS_KEY: z.string().min(1).optional(),
  MESHGUARD_QUERY_MAX_ROWS: z.coerce.number().int().min(1).max(10_000_000).default(100_000),
  MESHGUARD_QUERY_MAX_FETCH_ROWS: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  MESHGUARD_QUERY_MEMORY: z.string().regex(/^\d{1,6}(KB|MB|GB)$/, 'must be a size such as 512MB or 2GB').default('512MB'),
  // sharing (issue 15): the gateway's URL as partners reach it (profile endpoints and file URLs)
  MESHGUARD_PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
  // rate limits (issue 10): failed authentications per client address per minute; 0 or off: no limit.
  MESHGUARD_AUTH_FAILURES_PER_MINUTE: z
    .string()
    .default('60')
    .transform((v, c) => {
      const n = v === 'off' ? 0 : Number(v);
      if (!Number.isInteger(n) || n < 0 || n > 1_000_000) {
        c.addIssue({ code: 'custom', message: 'must be a whole number of failures per minute (0 or off: no limit)' });
        return z.NEVER;
      }
      return n;
    }),
  // Trino (issue 16): the bearer token Trino's OPA access-control plugin (or the proxy in front of the
  // gateway) presents; unset, the /v1/trino endpoints do not exist.
  MESHGUARD_TRINO_TOKEN: z.string().min(32, 'must be at least 32 characters (a random secret)').optional(),
  MESHGUARD_TRINO_CATALOG: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'must be a plain lower-case Trino catalog name').default('mesh'),
  // replicas (issue 16)
  MESHGUARD_CHANGE_FEED: bool.default(true),
  MESHGUARD_DRAIN_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
});

/** Where tokens' keys come from: exactly one (none outside production: a dev secret). */
const KEY_SOURCES = ['MESHGUARD_JWT_SECRET', 'MESHGUARD_JWT_PUBLIC_KEY_FILE', 'MESHGUARD_JWT_JWKS_URL', 'MESHGUARD_OIDC_ISSUER'] as const;

export interface Config {
  production: boolean;
  host: string;
  port: number;
  logLevel: string;
  /** The user who ran sudo, if the process runs under it (the CLI audits operators by name). */
  sudoUser?: string;
  dataDir: string;
  policiesDir: string;
  /** PostgreSQL URL of the shared state store; undefined means `$dataDir/meshguard.sqlite`. */
  stateUrl?: string;
  stateSchema?: string;
  jwt: {
    secret?: string;
    publicKeyFile?: string;
    /** Keys fetched from this JWKS URL (jose's remote key set: cached, selected by kid, refreshed on rotation). */
    jwksUrl?: string;
    /** An OpenID provider: its discovery document names the JWKS URL and the issuer tokens must carry. */
    oidcIssuer?: string;
    issuer?: string;
    audience?: string;
    /** The claim that names the subject (default sub; email or preferred_username for opaque subs). */
    subjectClaim: string;
    jwksCooldownMs: number;
  };
  /** The web console: its built files (`npm run build` writes dist/console) and, with an OIDC issuer, its client id. */
  console: { dir: string; clientId?: string };
  /** Where /metrics is served (its own listener); undefined: not served. */
  metrics?: { host: string; port: number };
  bootstrapAdmin?: string;
  /** Seed the demo data mesh into missing tables and an empty state store. By default only into the
   *  embedded state (never a shared MESHGUARD_STATE_URL store) outside production. */
  seedDemo: boolean;
  auditFlushMax: number;
  /** guardrails (issue 5): where trips, pauses and resumes are POSTed, and how often/slowly to retry. */
  alerts: { webhookUrl?: string; retries: number; backoffMs: number };
  /** Longest a token may live (exp - iat), in ms: bounds how long a token revocation must be kept. */
  tokenMaxAgeMs: number;
  /** How often grant usage (lastUsedAt) is written to the state store, in ms. */
  usageFlushMs: number;
  /** The largest answer the gateway sends, in bytes: a stream that would pass it ends with response_too_large. */
  maxResponseBytes: number;
  /** Failed authentications per client address per minute before refusals are coalesced (429); 0: no limit. */
  authFailuresPerMinute: number;
  /** sharing (issue 15): the gateway's URL as partners reach it; unset: taken from each request's Host. */
  publicUrl?: string;
  /** The PostgreSQL wire protocol listener (issue 14), when MESHGUARD_PG_PORT is set: loopback only without TLS. */
  pgWire?: { port: number; host: string; tls?: { certFile: string; keyFile: string } };
  /** federated SQL (issue 14): the engine's time limit (ms), answer cap and per-dataset fetch cap (rows), memory limit. */
  query: { timeoutMs: number; maxRows: number; maxFetchRows: number; memoryLimit: string };
  /** Trino (issue 16): set only when MESHGUARD_TRINO_TOKEN is; the catalog whose schemas are domains. */
  trino?: { token: string; catalog: string };
  /** replicas (issue 16): on PostgreSQL state, skip the per-request counter read while LISTEN/NOTIFY
   *  confirms nothing changed (state/change-feed.ts); false reads the counters on every request. */
  changeFeed: boolean;
  /** On SIGTERM, how long requests and streams in flight may take to finish before they are cut, in seconds. */
  drainSeconds: number;
  /** Looks up a store credential by the variable name a policy file gives. */
  secretFromEnv: (name: string) => string | undefined;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // An empty variable (`VAR=` in a shell or a compose file) means unset.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${String(issue.path[0])}: ${issue.message}`);
  }
  const e = parsed.data;
  const keySources = KEY_SOURCES.filter((name) => e[name] !== undefined);
  if (keySources.length > 1) throw new ConfigError(`${keySources.join(' and ')}: set one, not both`);
  const production = e.NODE_ENV === 'production';
  if (production && keySources.length === 0) throw new ConfigError(`${KEY_SOURCES.join(', ')}: one is required when NODE_ENV=production`);
  if (e.MESHGUARD_OIDC_ISSUER && !e.MESHGUARD_JWT_AUDIENCE) {
    throw new ConfigError('MESHGUARD_JWT_AUDIENCE: required with MESHGUARD_OIDC_ISSUER (tokens must be meant for this gateway)');
  }
  if (e.MESHGUARD_OIDC_ISSUER && e.MESHGUARD_JWT_ISSUER && e.MESHGUARD_JWT_ISSUER !== e.MESHGUARD_OIDC_ISSUER) {
    throw new ConfigError('MESHGUARD_JWT_ISSUER: leave unset with MESHGUARD_OIDC_ISSUER (the issuer comes from discovery)');
  }
  const snapshot = { ...env };
  return {
    production,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    sudoUser: e.SUDO_USER,
    dataDir: path.resolve(cwd, e.MESHGUARD_DATA_DIR),
    policiesDir: path.resolve(cwd, e.MESHGUARD_POLICIES_DIR),
    stateUrl: e.MESHGUARD_STATE_URL,
    stateSchema: e.MESHGUARD_STATE_SCHEMA,
    jwt: {
      secret: e.MESHGUARD_JWT_SECRET,
      publicKeyFile: e.MESHGUARD_JWT_PUBLIC_KEY_FILE && path.resolve(cwd, e.MESHGUARD_JWT_PUBLIC_KEY_FILE),
      jwksUrl: e.MESHGUARD_JWT_JWKS_URL,
      oidcIssuer: e.MESHGUARD_OIDC_ISSUER,
      issuer: e.MESHGUARD_JWT_ISSUER,
      audience: e.MESHGUARD_JWT_AUDIENCE,
      subjectClaim: e.MESHGUARD_SUBJECT_CLAIM,
      jwksCooldownMs: e.MESHGUARD_JWKS_COOLDOWN_MS,
    },
    console: { dir: e.MESHGUARD_CONSOLE_DIR ? path.resolve(cwd, e.MESHGUARD_CONSOLE_DIR) : path.join(packageRoot(), 'dist', 'console'), clientId: e.MESHGUARD_CONSOLE_CLIENT_ID },
    metrics: e.MESHGUARD_METRICS_PORT === undefined ? undefined : { host: e.MESHGUARD_METRICS_HOST, port: e.MESHGUARD_METRICS_PORT },
    bootstrapAdmin: e.MESHGUARD_BOOTSTRAP_ADMIN,
    // Demo grants (an admin among them) must never reach a shared deployment unless asked for by name.
    seedDemo: e.MESHGUARD_SEED_DEMO ?? (!production && !e.MESHGUARD_STATE_URL),
    auditFlushMax: e.MESHGUARD_AUDIT_FLUSH_MAX,
    alerts: { webhookUrl: e.MESHGUARD_ALERT_WEBHOOK_URL, retries: e.MESHGUARD_ALERT_RETRIES, backoffMs: e.MESHGUARD_ALERT_BACKOFF_MS },
    tokenMaxAgeMs: e.MESHGUARD_TOKEN_MAX_AGE,
    usageFlushMs: e.MESHGUARD_USAGE_FLUSH_MS,
    maxResponseBytes: e.MESHGUARD_MAX_RESPONSE_BYTES,
    authFailuresPerMinute: e.MESHGUARD_AUTH_FAILURES_PER_MINUTE,
    pgWire:
      e.MESHGUARD_PG_PORT === undefined
        ? undefined
        : { port: e.MESHGUARD_PG_PORT, host: e.HOST, tls: e.MESHGUARD_PG_TLS_CERT && e.MESHGUARD_PG_TLS_KEY ? { certFile: path.resolve(cwd, e.MESHGUARD_PG_TLS_CERT), keyFile: path.resolve(cwd, e.MESHGUARD_PG_TLS_KEY) } : undefined },
    query: { timeoutMs: e.MESHGUARD_QUERY_TIMEOUT, maxRows: e.MESHGUARD_QUERY_MAX_ROWS, maxFetchRows: e.MESHGUARD_QUERY_MAX_FETCH_ROWS, memoryLimit: e.MESHGUARD_QUERY_MEMORY },
    publicUrl: e.MESHGUARD_PUBLIC_URL?.replace(/\/+$/, ''),
    trino: e.MESHGUARD_TRINO_TOKEN ? { token: e.MESHGUARD_TRINO_TOKEN, catalog: e.MESHGUARD_TRINO_CATALOG } : undefined,
    changeFeed: e.MESHGUARD_CHANGE_FEED,
    drainSeconds: e.MESHGUARD_DRAIN_SECONDS,
    secretFromEnv: (name) => snapshot[name],
  };
}

/** The folder holding meshguard's package.json, whether this file runs from src/ or from dist/src/. */
function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..');
  }
}
