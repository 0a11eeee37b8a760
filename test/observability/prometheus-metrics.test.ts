// /metrics on its own listener (MESHGUARD_METRICS_PORT), scraped over HTTP and read with a separate
// Prometheus text-format parser: requests by route, method, status and decision, latency, audit group
// commits, cache hit ratios, guardrail refusals, store pools, process metrics. Never on the public port.
import http from 'node:http';
// A Prometheus text parser of its own (not prom-client's), so the format itself is checked.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheusTextFormat = require('parse-prometheus-text-format') as (text: string) => Family[];
import { startMetricsServer } from '../../src/observability/metrics-server';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

interface Family {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[];
}

function scrape(port: number, path = '/metrics'): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }));
    }).on('error', reject);
  });
}

describe.each(BACKENDS)('Prometheus metrics ($name)', ({ pg }) => {
  let gw: TestGateway;
  let server: http.Server;
  let port: number;
  let families: Map<string, Family>;
  let text: string;

  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_METRICS_PORT: '0' } });
    ({ server, port } = await startMetricsServer(gw.deps.metrics!, gw.deps.config.metrics!));
    const alice = gw.token('alice');
    for (let i = 0; i < 3; i++) await gw.http().get('/v1/datasets/sales/orders/rows?limit=2').set(bearer(alice)).expect(200);
    await gw.http().get('/v1/datasets/hr/employees/rows').set(bearer(alice)); // a refusal
    await gw.http().get('/v1/me').expect(401);
    await gw.http().get('/healthz').expect(200);
    await gw.deps.audit.drained();
    const res = await scrape(port);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain; version=0\.0\.4/);
    text = res.body;
    families = new Map(parsePrometheusTextFormat(res.body).map((f) => [f.name, f]));
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await gw?.close();
  });

  const value = (name: string, labels: Record<string, string>) =>
    families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value;

  test('the listener is bound to loopback by default and answers only /metrics', async () => {
    expect(gw.deps.config.metrics!.host).toBe('127.0.0.1');
    expect((server.address() as { address: string }).address).toBe('127.0.0.1');
    expect((await scrape(port, '/v1/me')).status).toBe(404);
  });

  test('requests by route pattern, method, status and decision, with their latency', () => {
    expect(families.get('meshguard_http_requests_total')!.type).toBe('COUNTER');
    expect(Number(value('meshguard_http_requests_total', { route: '/v1/datasets/:domain/:dataset/rows', method: 'GET', status: '200', decision: 'allow' }))).toBe(3);
    expect(Number(value('meshguard_http_requests_total', { route: '(none)', method: 'GET', status: '401', decision: 'deny' }))).toBeGreaterThanOrEqual(1);
    expect(Number(value('meshguard_http_requests_total', { route: '/healthz', method: 'GET', status: '200', decision: 'public' }))).toBe(1);
    const latency = families.get('meshguard_http_request_duration_seconds')!;
    expect(latency.type).toBe('HISTOGRAM');
    // parse-prometheus-text-format keeps one label set per histogram: the series is read from the text.
    const counts = text.split('\n').filter((l) => l.startsWith('meshguard_http_request_duration_seconds_count{'));
    expect(counts).toContain(`meshguard_http_request_duration_seconds_count{route="/v1/datasets/:domain/:dataset/rows",method="GET"} 4`); // 3 reads and the refusal
    expect(families.get('meshguard_http_requests_total')!.metrics.reduce((n, m) => n + Number(m.value), 0)).toBe(6);
  });

  test('audit group commits, cache hit ratios, store pools and the process', () => {
    const size = families.get('meshguard_audit_group_commit_entries')!;
    expect(size.type).toBe('HISTOGRAM');
    expect(Number(size.metrics[0].buckets!['+Inf'])).toBeGreaterThan(0);
    expect(families.get('meshguard_audit_group_commit_seconds')!.type).toBe('HISTOGRAM');
    for (const cache of ['abilities', 'tokens', 'masks']) expect(value('meshguard_cache_hit_ratio', { cache })).toBeDefined();
    // alice's token was verified once and then found in the cache
    expect(Number(value('meshguard_cache_lookups_total', { cache: 'tokens', result: 'hit' }))).toBeGreaterThanOrEqual(2);
    expect(value('meshguard_pool_connections', { pool: 'state', state: 'used' })).toBeDefined();
    expect(families.get('meshguard_process_cpu_seconds_total')).toBeDefined();
    expect(families.get('meshguard_guardrail_refusals_total')!.type).toBe('COUNTER');
  });

  test('/metrics is not served on the public port', async () => {
    const res = await gw.http().get('/metrics');
    expect([401, 404]).toContain(res.status);
    expect(res.text).not.toContain('meshguard_http_requests_total');
  });
});

test('without MESHGUARD_METRICS_PORT no metrics are kept', async () => {
  const gw = await startTestGateway();
  try {
    expect(gw.deps.metrics).toBeUndefined();
  } finally {
    await gw.close();
  }
});
