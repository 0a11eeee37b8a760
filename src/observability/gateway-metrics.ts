// The gateway's Prometheus metrics (prom-client), one registry per gateway (no module-level state):
// requests by route, method, status and decision with their latency; audit group commits (size and
// latency); cache hit ratios (abilities, tokens, masks); guardrail and quota refusals; store pools;
// the process. Counted through cheap hooks: a request's labels pick a child cached per label set (no
// label hashing per request); everything kept elsewhere (audit stats, caches, pools) is read when
// Prometheus scrapes. Served only by observability/metrics-server.ts, never on the public port.
import type { NextFunction, Request, Response } from 'express';
import type { Knex } from 'knex';
import client from 'prom-client';
import type { AuditLog } from '../audit/audit-log';
import { ctx } from '../http/request-context';
import type { StateDb } from '../state/open-state';
import type { StoreRegistry } from '../stores/store-registry';

export interface CacheCounts {
  hits: number;
  misses: number;
}

/** The hit and miss counts the gateway's caches keep. */
export interface GatewayCaches {
  abilities: CacheCounts;
  tokens: CacheCounts;
  masks: CacheCounts;
}

/** Refusals that mean a guardrail or a quota acted (errors.ts codes). */
const GUARDRAIL_CODES = new Set(['guardrail_violation', 'writer_paused', 'rate_limited', 'read_rate_limited', 'auth_rate_limited', 'export_limit_exceeded', 'response_too_large']);

export interface GatewayMetrics {
  registry: client.Registry;
  /** Express middleware: counts and times the request when its answer is finished. */
  observe: (req: Request, res: Response, next: NextFunction) => void;
}

export function createGatewayMetrics(parts: { audit: AuditLog; caches: GatewayCaches; stores: StoreRegistry; state: StateDb }): GatewayMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'meshguard_' });

  const requests = new client.Counter({
    name: 'meshguard_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method, status and decision (allow, deny, error, public)',
    labelNames: ['route', 'method', 'status', 'decision'] as const,
    registers: [registry],
  });
  const latency = new client.Histogram({
    name: 'meshguard_http_request_duration_seconds',
    help: 'Time from the request arriving to its answer finishing, by route pattern and method',
    labelNames: ['route', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const guardrails = new client.Counter({
    name: 'meshguard_guardrail_refusals_total',
    help: 'Requests refused by a guardrail, quota or limit, by problem code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const commitSize = new client.Histogram({
    name: 'meshguard_audit_group_commit_entries',
    help: 'Audit entries carried by one group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [registry],
  });
  const commitLatency = new client.Histogram({
    name: 'meshguard_audit_group_commit_seconds',
    help: 'Time one audit group commit took',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  parts.audit.onCommit = (entries, seconds) => {
    commitSize.observe(entries);
    commitLatency.observe(seconds);
  };

  const caches = Object.entries(parts.caches) as [string, CacheCounts][];
  new client.Counter({
    name: 'meshguard_cache_lookups_total',
    help: 'Cache lookups by cache (abilities, tokens, masks) and result (hit, miss)',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [name, c] of caches) {
        this.inc({ cache: name, result: 'hit' }, c.hits);
        this.inc({ cache: name, result: 'miss' }, c.misses);
      }
    },
  });
  new client.Gauge({
    name: 'meshguard_cache_hit_ratio',
    help: 'Share of cache lookups that hit, since start (abilities, tokens, masks)',
    labelNames: ['cache'] as const,
    registers: [registry],
    collect() {
      for (const [name, c] of caches) this.set({ cache: name }, c.hits + c.misses === 0 ? 0 : c.hits / (c.hits + c.misses));
    },
  });

  const pools: [string, Knex][] = [['state', parts.state.knex], ...[...parts.stores.values()].map((s): [string, Knex] => [`store:${s.name}`, s.knex])];
  new client.Gauge({
    name: 'meshguard_pool_connections',
    help: 'Connections of the state store and each data store pool, by state (used, free, pending acquires)',
    labelNames: ['pool', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [name, knex] of pools) {
        const pool = (knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
        if (!pool) continue;
        this.set({ pool: name, state: 'used' }, pool.numUsed());
        this.set({ pool: name, state: 'free' }, pool.numFree());
        this.set({ pool: name, state: 'pending' }, pool.numPendingAcquires());
      }
    },
  });

  // Children cached per label set: a request costs map lookups, not prom-client's label hashing.
  const counted = new Map<string, Map<string, ReturnType<typeof requests.labels>>>();
  const timed = new Map<string, ReturnType<typeof latency.labels>>();
  const record = (req: Request, res: Response) => {
    const c = ctx(res);
    const route = (req.route as { path?: string } | undefined)?.path ?? '(none)';
    const key = `${req.method} ${route}`;
    const status = res.statusCode;
    const decision = c?.public ? 'public' : status >= 500 ? 'error' : status >= 400 ? 'deny' : 'allow';
    let byOutcome = counted.get(key);
    if (!byOutcome) counted.set(key, (byOutcome = new Map()));
    const outcome = `${status}${decision}`;
    let counter = byOutcome.get(outcome);
    if (!counter) byOutcome.set(outcome, (counter = requests.labels({ route, method: req.method, status: String(status), decision })));
    counter.inc();
    let histogram = timed.get(key);
    if (!histogram) timed.set(key, (histogram = latency.labels({ route, method: req.method })));
    if (c) histogram.observe(Number(process.hrtime.bigint() - c.startedAt) / 1e9);
    if (c?.problem && GUARDRAIL_CODES.has(c.problem)) guardrails.inc({ code: c.problem });
  };
  return {
    registry,
    observe(req, res, next) {
      res.once('finish', () => record(req, res));
      next();
    },
  };
}
