// Issue 10, finding 7: a column guarded by maxChangePct cannot step around its limit through null
// (4.2 -> null -> 49). Writing null over a stored row's guarded value is refused (422 naming the
// guardrail) by upsert, dry run and PATCH; a new row may still leave it null, and a stored null may be
// set to any value inside the column's bounds (README, guardrails).
import { editPolicy } from '../helpers/policy-copy';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const BIDS = '/v1/datasets/marketing/bids/rows';
const bid = (id: number, value: unknown) => ({ id, campaign_id: 200, keyword: `kw-${id}`, bid: value, updated_at: '2026-11-01T00:00:00Z' });

describe.each(BACKENDS)('maxChangePct has no way round through null, on $name', ({ pg }) => {
  let gw: TestGateway;
  let sam: Record<string, string>;
  const bids = () => gw.deps.stores.get('marketing')!.knex('bids');
  const storedBid = async (id: number) => (await bids().where({ id }))[0].bid;

  beforeAll(async () => {
    gw = await startTestGateway({ pg, policies: (dir) => editPolicy(dir, 'datasets/marketing.yaml', (d) => delete d.datasets.bids.guardrails.breaker) });
    sam = bearer(gw.token('sam'));
    expect((await gw.http().post(BIDS).set(sam).send({ rows: [bid(90001, 4.2), bid(90002, null)] })).status).toBe(201);
  });
  afterAll(() => gw.close());

  it('4.2 -> 49 is refused, and so is 4.2 -> null (upsert, dry run, PATCH): the value stays 4.2', async () => {
    const direct = await gw.http().patch(`${BIDS}?id=eq.90001`).set(sam).send({ set: { bid: 49 } });
    expect([direct.status, direct.body.guardrail]).toEqual([422, 'maxChangePct']);
    const tries = [
      () => gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: [{ id: 90001, bid: null }] }),
      () => gw.http().post(`${BIDS}?on_conflict=id&dry_run=true`).set(sam).send({ rows: [{ id: 90001, bid: null }] }),
      () => gw.http().post(`${BIDS}?on_conflict=campaign_id,keyword`).set(sam).send({ rows: [{ campaign_id: 200, keyword: 'kw-90001', bid: null }] }),
      () => gw.http().patch(`${BIDS}?id=eq.90001`).set(sam).send({ set: { bid: null } }),
    ];
    for (const send of tries) {
      const r = await send();
      expect([r.status, r.body.code, r.body.guardrail, r.body.column]).toEqual([422, 'guardrail_violation', 'maxChangePct', 'bid']);
      expect(r.body.detail).not.toContain('4.2');
    }
    expect(Number(await storedBid(90001))).toBe(4.2);
    // So the second step has nothing to start from.
    const step = await gw.http().patch(`${BIDS}?id=eq.90001`).set(sam).send({ set: { bid: 49 } });
    expect(step.status).toBe(422);
    expect(Number(await storedBid(90001))).toBe(4.2);
  });

  it('a new row may leave it null; a stored null may be set to a value inside the bounds', async () => {
    expect(await storedBid(90002)).toBeNull();
    const same = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam).send({ rows: [bid(90002, null)] });
    expect([same.status, same.body]).toEqual([200, { inserted: 0, updated: 0, unchanged: 1 }]);
    const over = await gw.http().patch(`${BIDS}?id=eq.90002`).set(sam).send({ set: { bid: 51 } });
    expect([over.status, over.body.guardrail]).toEqual([422, 'max']);
    const set = await gw.http().patch(`${BIDS}?id=eq.90002`).set(sam).send({ set: { bid: 10 } });
    expect([set.status, set.body]).toEqual([200, { updated: 1 }]);
    expect(Number(await storedBid(90002))).toBe(10);
  });
});
