// Idempotency-Key on batch writes, on every backend: a retry after a client timeout writes once and
// gets the first answer (from another gateway process too); another body with the key is a 409; a
// key whose first request still runs is a 409 of its own; keys are per subject and kept 24 h.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { openGateway } from '../../src/gateway';
import { BACKENDS, TestClock, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const BIDS = '/v1/datasets/marketing/bids/rows';
const batch = (from: number, n: number, value = 2) => ({ rows: Array.from({ length: n }, (_, i) => ({ id: from + i, campaign_id: 900, keyword: `k${from + i}`, bid: value })) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(BACKENDS)('idempotent writes on $name', ({ pg }) => {
  let gw: TestGateway;
  const clock = new TestClock(Date.UTC(2026, 10, 26, 9, 1));
  const sam = () => bearer(gw.token('sam'));
  const bids = () => gw.deps.stores.get('marketing')!.knex('bids');
  const countFrom = async (from: number, to: number) => Number((await bids().whereBetween('id', [from, to]).count({ n: '*' }))[0].n);
  const keyRow = (key: string) => gw.deps.state.knex('mg_idempotency').where({ subject: 'sam', key }).first();

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock });
  });
  afterAll(() => gw.close());

  it('a retry after the client gave up (first request still running) writes once and returns the first answer', async () => {
    const server = gw.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const body = JSON.stringify(batch(80000, 2000));
    try {
      // The client sends the batch and times out before the answer comes.
      const req = http.request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method: 'POST', path: `${BIDS}?on_conflict=id`, headers: { ...sam(), 'content-type': 'application/json', 'idempotency-key': 'batch-2026-11-26' } });
      req.on('error', () => undefined);
      req.end(body);
      for (let i = 0; i < 200 && !(await keyRow('batch-2026-11-26')); i++) await sleep(10);
      req.destroy();
      // It retries until the first request has finished.
      let r;
      for (let i = 0; i < 200; i++) {
        r = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'batch-2026-11-26').set('content-type', 'application/json').send(body);
        if (r.body.code !== 'idempotency_in_progress') break;
        await sleep(25);
      }
      expect([r!.status, r!.body]).toEqual([200, { inserted: 2000, updated: 0, unchanged: 0 }]);
      expect(r!.headers['idempotent-replayed']).toBe('true');
      expect(await countFrom(80000, 81999)).toBe(2000);
      const writes = await gw.deps.state.knex('mg_audit').where({ action: 'upsert', subject: 'sam', decision: 'allow' }).where('reason', 'like', 'upsert granted%');
      expect(writes).toHaveLength(1);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('replays the first answer and writes nothing, even when the rows changed since', async () => {
    const first = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k1').send(batch(82000, 3));
    expect([first.status, first.body]).toEqual([200, { inserted: 3, updated: 0, unchanged: 0 }]);
    await bids().where({ id: 82000 }).update({ bid: 2.2 });
    const retry = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k1').send(batch(82000, 3));
    expect([retry.status, retry.body]).toEqual([200, first.body]);
    expect(Number((await bids().where({ id: 82000 }))[0].bid)).toBe(2.2);
    const insert = await gw.http().post(BIDS).set(sam()).set('idempotency-key', 'k-insert').send(batch(82100, 2));
    const insertRetry = await gw.http().post(BIDS).set(sam()).set('idempotency-key', 'k-insert').send(batch(82100, 2));
    expect([insert.status, insertRetry.status, insertRetry.body]).toEqual([201, 201, { inserted: 2 }]);
  });

  it('answers 409 idempotency_conflict for the same key with another request, and keys are per subject', async () => {
    const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k1').send(batch(82000, 4));
    expect([r.status, r.body.code]).toEqual([409, 'idempotency_conflict']);
    expect(await countFrom(82003, 82003)).toBe(0);
    const other = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k1').send(batch(82000, 3, 2.1));
    expect(other.body.code).toBe('idempotency_conflict');
    const mia = await gw.http().post(`${BIDS}?on_conflict=id`).set(bearer(gw.token('mia'))).set('idempotency-key', 'k1').send(batch(82200, 1));
    expect([mia.status, mia.body]).toEqual([200, { inserted: 1, updated: 0, unchanged: 0 }]);
    expect((await gw.http().post(BIDS).set(sam()).set('idempotency-key', 'k'.repeat(300)).send(batch(82300, 1))).status).toBe(400);
  });

  it('answers 409 idempotency_in_progress while the first request with the key is running', async () => {
    const done = await keyRow('k1');
    await gw.deps.state.knex('mg_idempotency').insert({ ...done, key: 'k-running', state: 'running', status: null, body: null, created_at: clock.now().getTime() });
    const r = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k-running').send(batch(82000, 3));
    expect([r.status, r.body.code]).toEqual([409, 'idempotency_in_progress']);
  });

  it('a refused request releases its key: the corrected batch may reuse it', async () => {
    const bad = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k2').send(batch(82400, 2, 80));
    expect([bad.status, bad.body.code]).toEqual([422, 'guardrail_violation']);
    const good = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k2').send(batch(82400, 2, 8));
    expect([good.status, good.body.inserted]).toEqual([200, 2]);
  });

  it('keeps keys in the state store for 24 h, shared by another gateway process', async () => {
    const second = await openGateway(loadConfig(gw.env, gw.dataDir), { clock, logger: pino({ level: 'silent' }) });
    try {
      clock.advance(23 * 3_600_000);
      const r = await (await import('supertest')).default(second.app).post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k2').send(batch(82400, 2, 8));
      expect([r.status, r.body, r.headers['idempotent-replayed']]).toEqual([200, { inserted: 2, updated: 0, unchanged: 0 }, 'true']);
      clock.advance(2 * 3_600_000);
      const later = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).set('idempotency-key', 'k2').send(batch(82400, 2, 8));
      expect([later.status, later.body, later.headers['idempotent-replayed']]).toEqual([200, { inserted: 0, updated: 0, unchanged: 2 }, undefined]);
    } finally {
      await second.close();
    }
  });
});
