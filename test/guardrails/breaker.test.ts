// The anomaly breaker on the real app, on every backend: a drifting model (bids growing 5 % per
// batch, one batch an hour) is paused before its cumulative change passes the configured factor;
// writes after the pause change nothing; reads continue; a real webhook listener receives the
// alerts; only another admin or the domain's steward resumes, and the resumed writer writes again.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { openGateway } from '../../src/gateway';
import request from 'supertest';
import { BACKENDS, TestClock, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const BIDS = '/v1/datasets/marketing/bids/rows';
const HOUR = 3_600_000;
const FACTOR = 1.5; // the demo policy: breaker { window: 1h, factor: 1.5 }

interface Webhook {
  url: string;
  alerts: Record<string, unknown>[];
  close(): Promise<void>;
}

/** A real HTTP listener on 127.0.0.1; it refuses the first `failFirst` posts with 503 (to exercise retries). */
export async function startWebhook(failFirst = 0): Promise<Webhook> {
  const alerts: Record<string, unknown>[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      calls += 1;
      if (calls <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      alerts.push({ ...JSON.parse(body), contentType: req.headers['content-type'] });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/alerts`, alerts, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe.each(BACKENDS)('anomaly breaker on $name', ({ pg }) => {
  let gw: TestGateway;
  let hook: Webhook;
  const clock = new TestClock(Date.UTC(2026, 10, 26, 0, 1));
  const bids = () => gw.deps.stores.get('marketing')!.knex('bids');
  const stored = async () => new Map((await bids().whereBetween('id', [1, 80]).select('id', 'bid')).map((r: { id: unknown; bid: unknown }) => [Number(r.id), Number(r.bid)]));
  const as = (sub: string) => bearer(gw.token(sub));
  let original: Map<number, number>;
  let pauseId: string;

  beforeAll(async () => {
    hook = await startWebhook(1);
    gw = await startTestGateway({ pg, clock, env: { MESHGUARD_ALERT_WEBHOOK_URL: hook.url, MESHGUARD_ALERT_BACKOFF_MS: '20' } });
    original = await stored();
  });
  afterAll(async () => {
    await gw.close();
    await hook.close();
  });

  it('pauses a drifting model before its cumulative change passes the factor, and later writes change nothing', async () => {
    let paused: { batch: number; body: Record<string, unknown> } | undefined;
    for (let batch = 0; batch < 20; batch++) {
      // The model writes every row's bid 5 % above the last batch, once an hour.
      const rows = [...original].map(([id, bid]) => ({ id, bid: Math.round(bid * 1.05 ** batch * 100) / 100 }));
      const before = await stored();
      const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(as('sam')).send({ rows });
      if (paused) {
        expect([r.status, r.body.code, r.body.pauseId]).toEqual([423, 'writer_paused', paused.body.pauseId]);
        expect(await stored()).toEqual(before);
      } else if (r.status === 423) {
        paused = { batch, body: r.body };
        expect(r.body.code).toBe('writer_paused');
        expect(await stored()).toEqual(before);
      } else {
        expect(r.status).toBe(200);
      }
      clock.advance(HOUR);
    }
    expect(paused).toBeDefined();
    pauseId = paused!.body.pauseId as string;
    // Nothing the model wrote moved any bid's mean past the configured factor.
    const now = await stored();
    const meanNow = [...now.values()].reduce((a, b) => a + b, 0) / now.size;
    const meanThen = [...original.values()].reduce((a, b) => a + b, 0) / original.size;
    expect(meanNow / meanThen).toBeLessThan(FACTOR);
    expect(paused!.batch).toBeLessThanOrEqual(Math.ceil(Math.log(FACTOR) / Math.log(1.05)));
    // The pause and the refusal are in the audit log.
    const pauses = await gw.deps.state.knex('mg_audit').where({ action: 'guardrail_pause', subject: 'sam' });
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toMatchObject({ resource: 'marketing.bids', decision: 'deny', status: 423 });
  });

  it('keeps reads going, and PATCH refused, while the writer is paused', async () => {
    const read = await gw.http().get(`${BIDS}?id=eq.1`).set(as('sam'));
    expect([read.status, read.body.rows.length]).toEqual([200, 1]);
    const patch = await gw.http().patch(`${BIDS}?id=eq.1`).set(as('sam')).send({ set: { bid: 1 } });
    expect([patch.status, patch.body.code]).toEqual([423, 'writer_paused']);
    const dry = await gw.http().post(`${BIDS}?on_conflict=id&dry_run=true`).set(as('sam')).send({ rows: [{ id: 1, bid: 1 }] });
    expect(dry.status).toBe(423);
    // The pause is in the state store: another gateway process refuses the writer too.
    const second = await openGateway(loadConfig(gw.env, gw.dataDir), { clock, logger: pino({ level: 'silent' }) });
    try {
      const r = await request(second.app).post(`${BIDS}?on_conflict=id`).set(as('sam')).send({ rows: [{ id: 1, bid: 1 }] });
      expect([r.status, r.body.pauseId]).toEqual([423, pauseId]);
    } finally {
      await second.close();
    }
  });

  it('posts the pause to the webhook (retried after a refusal), without blocking the request', async () => {
    await gw.deps.guard.alerts.flushed();
    const alert = hook.alerts.find((a) => a.event === 'writer_paused');
    expect(alert).toMatchObject({ subject: 'sam', dataset: 'marketing.bids', pauseId, guardrail: 'breaker', contentType: 'application/json' });
  });

  it('shows the pause to the steward and admins; nobody resumes their own pause; a resumed writer writes again', async () => {
    const view = await gw.http().get('/v1/guardrails').set(as('mia'));
    expect(view.body.datasets[0].pauses.map((p: { id: string }) => p.id)).toEqual([pauseId]);
    // An analyst on marketing cannot resume, nor can a steward of another domain.
    expect((await gw.http().post(`/v1/guardrails/pauses/${pauseId}/resume`).set(as('carol')).send({ reason: 'x' })).status).toBe(403);
    expect((await gw.http().post(`/v1/guardrails/pauses/${pauseId}/resume`).set(as('sam')).send({ reason: 'x' })).status).toBe(403);
    // sam becomes a steward of marketing too: still not their own pause.
    const g = await gw.http().post('/v1/grants').set(as('dana')).send({ subject: 'sam', role: 'steward', domain: 'marketing', reason: 'test' });
    expect(g.status).toBe(201);
    const self = await gw.http().post(`/v1/guardrails/pauses/${pauseId}/resume`).set(as('sam')).send({ reason: 'my model is fine' });
    expect([self.status, self.body.code]).toEqual([403, 'self_resume']);
    expect((await gw.http().delete(`/v1/grants/${g.body.id}?reason=done`).set(as('dana'))).status).toBe(204);
    expect((await gw.http().post(`/v1/guardrails/pauses/${pauseId}/resume`).set(as('mia')).send({})).body.code).toBe('reason_required');
    expect((await gw.http().post('/v1/guardrails/pauses/nope/resume').set(as('mia')).send({ reason: 'x' })).status).toBe(404);

    const resumed = await gw.http().post(`/v1/guardrails/pauses/${pauseId}/resume`).set(as('mia')).send({ reason: 'model retrained; new bid level accepted' });
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ id: pauseId, resumedBy: 'mia', resumeReason: 'model retrained; new bid level accepted' });
    expect((await gw.http().post(`/v1/guardrails/pauses/${pauseId}/resume`).set(as('dana')).send({ reason: 'again' })).body.code).toBe('pause_not_active');
    const entry = await gw.deps.state.knex('mg_audit').where({ action: 'resume_writer', subject: 'mia', decision: 'allow' });
    expect(entry).toHaveLength(1);

    const rows = [{ id: 1, bid: Math.round((await stored()).get(1)! * 1.02 * 100) / 100 }];
    const again = await gw.http().post(`${BIDS}?on_conflict=id`).set(as('sam')).send({ rows });
    expect([again.status, again.body]).toEqual([200, { inserted: 0, updated: 1, unchanged: 0 }]);
    expect((await stored()).get(1)).toBe(rows[0].bid);
    await gw.deps.guard.alerts.flushed();
    expect(hook.alerts.find((a) => a.event === 'writer_resumed')).toMatchObject({ subject: 'sam', by: 'mia', pauseId });
  });

  it('alerts on a guardrail trip (422) too', async () => {
    const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(as('sam')).send({ rows: [{ id: 1, bid: 99 }] });
    expect([r.status, r.body.guardrail]).toEqual([422, 'max']);
    await gw.deps.guard.alerts.flushed();
    expect(hook.alerts.filter((a) => a.event === 'guardrail_tripped').at(-1)).toMatchObject({ subject: 'sam', guardrail: 'max', dataset: 'marketing.bids' });
  });
});

describe('alert delivery at shutdown', () => {
  it('abandons undelivered alerts cleanly at close: a dead webhook never holds the gateway open', async () => {
    const hook = await startWebhook(1000); // refuses everything
    const gw = await startTestGateway({ clock: new TestClock(Date.UTC(2026, 10, 26, 9, 1)), env: { MESHGUARD_ALERT_WEBHOOK_URL: hook.url, MESHGUARD_ALERT_BACKOFF_MS: '60000' } });
    try {
      const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(bearer(gw.token('sam'))).send({ rows: [{ id: 1, bid: 99 }] });
      expect(r.status).toBe(422); // answered at once, whatever the webhook does
    } finally {
      const started = Date.now();
      await gw.close();
      expect(Date.now() - started).toBeLessThan(5000);
      await hook.close();
    }
  });
});
