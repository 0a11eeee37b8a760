// Issue 10, finding 13: access reviews count every write the audit records (insert, update, upsert)
// as a use of a grant's write rights, and a dry run as none. The bidding model's upserts keep its
// scientist grant off the `broader_than_use` list.
import { editPolicy } from '../helpers/policy-copy';
import { BACKENDS, TestClock, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const BIDS = '/v1/datasets/marketing/bids/rows';

describe.each(BACKENDS)('access reviews of reverse-ETL writers on $name', ({ pg }) => {
  let gw: TestGateway;
  const clock = new TestClock(Date.UTC(2026, 10, 26, 9, 0));

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock, policies: (dir) => editPolicy(dir, 'datasets/marketing.yaml', (d) => delete d.datasets.bids.guardrails.breaker) });
  });
  afterAll(() => gw.close());

  const samFindings = async () => {
    const review = await gw.http().get('/v1/reviews/grants?unusedFor=7d').set(bearer(gw.token('dana')));
    expect(review.status).toBe(200);
    const samGrant = (await gw.deps.grants.list({ subject: 'sam' }))[0];
    return review.body.grants.find((i: { grant: { id: string } }) => i.grant.id === samGrant.id)?.findings ?? [];
  };

  it('a dry run is no write; an upsert is, and the review no longer calls the grant broader than its use', async () => {
    const sam = () => bearer(gw.token('sam'));
    const [one] = await gw.deps.stores.get('marketing')!.knex('bids').where({ id: 1 });
    const row = { id: 1, bid: Math.round(Number(one.bid) * 105) / 100 };
    const dry = await gw.http().post(`${BIDS}?on_conflict=id&dry_run=true`).set(sam()).send({ rows: [row] });
    expect([dry.status, dry.body.updated]).toEqual([200, 1]);
    expect(await samFindings()).toContain('broader_than_use');

    const upsert = await gw.http().post(`${BIDS}?on_conflict=id`).set(sam()).send({ rows: [row] });
    expect([upsert.status, upsert.body.updated]).toEqual([200, 1]);
    expect(await samFindings()).not.toContain('broader_than_use');
    const samGrant = (await gw.deps.grants.list({ subject: 'sam' }))[0];
    expect(samGrant.lastWriteAt).toBe(clock.now().toISOString());

    // Weeks later, reads only: the write rights look unused again.
    clock.advance(8 * 86_400_000);
    expect((await gw.http().get(`${BIDS}?limit=1`).set(sam())).status).toBe(200);
    expect(await samFindings()).toContain('broader_than_use');
  });
});
