// Issue 10, finding 3: no answer to a write depends on the stored value of a column the writer cannot
// read in clear. A right and a wrong guess of a masked value get byte-identical answers (apart from
// the request id), for upsert, dry-run upsert and PATCH, and for a guarded column's change limit.
import type { Response } from 'supertest';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';
import { editPolicy } from '../helpers/policy-copy';

const CUSTOMERS = '/v1/datasets/sales/customers/rows';
const BIDS = '/v1/datasets/marketing/bids/rows';

/** What a client sees of an answer, with the request id (the only thing allowed to differ) blanked. */
function seen(r: Response): { status: number; headers: Record<string, unknown>; text: string } {
  const id = String(r.headers['x-request-id']);
  const headers = { ...r.headers };
  for (const h of ['x-request-id', 'date', 'etag', 'content-length']) delete headers[h];
  return { status: r.status, headers, text: r.text.split(id).join('<request-id>') };
}

describe.each(BACKENDS)('write answers are no oracle for values read masked, on $name', ({ pg }) => {
  let gw: TestGateway;
  const customers = () => gw.deps.stores.get('sales')!.knex('customers');
  const bids = () => gw.deps.stores.get('marketing')!.knex('bids');

  beforeAll(async () => {
    gw = await startTestGateway({
      pg,
      policies: (dir) => {
        // Reads bids' internal columns but the key (bid among them) only masked, but may write them.
        editPolicy(dir, 'roles.yaml', (d) => {
          d.roles.masked_bidder = {
            scope: 'domain',
            maxGrantDays: 30,
            rules: [
              { actions: ['read'], datasets: ['bids'], columns: ['id', 'keyword'] },
              { actions: ['read'], classifications: ['internal'], mask: true },
              { actions: ['insert', 'update'], classifications: ['public', 'internal'] },
            ],
          };
        });
        editPolicy(dir, 'datasets/marketing.yaml', (d) => delete d.datasets.bids.guardrails.breaker);
      },
    });
    const g = await gw.http().post('/v1/grants').set(bearer(gw.token('dana'))).send({ subject: 'max', role: 'masked_bidder', domain: 'marketing', reason: 'test' });
    expect(g.status).toBe(201);
  });
  afterAll(() => gw.close());

  it('bob reads email masked: upsert, dry-run upsert and PATCH answer the same for a right and a wrong guess', async () => {
    const bob = bearer(gw.token('bob'));
    const read = await gw.http().get(`${CUSTOMERS}?id=eq.7`).set(bob);
    const [stored] = await customers().where({ id: 7 });
    expect(read.body.rows[0].email).not.toBe(stored.email); // masked for bob
    const restore = () => customers().where({ id: 7 }).update({ email: stored.email });
    const guesses = [stored.email, 'nobody.7@example.com'];

    const tries: [string, (email: string) => Promise<Response>][] = [
      ['dry-run upsert', (email) => gw.http().post(`${CUSTOMERS}?on_conflict=id&dry_run=true`).set(bob).send({ rows: [{ id: 7, email }] })],
      ['upsert', (email) => gw.http().post(`${CUSTOMERS}?on_conflict=id`).set(bob).send({ rows: [{ id: 7, email }] })],
      ['upsert with the other columns as stored', (email) => gw.http().post(`${CUSTOMERS}?on_conflict=id`).set(bob).send({ rows: [{ ...stored, email }] })],
      ['PATCH', (email) => gw.http().patch(`${CUSTOMERS}?id=eq.7`).set(bob).send({ set: { email } })],
    ];
    for (const [name, send] of tries) {
      const answers = [];
      for (const email of guesses) {
        answers.push(seen(await send(email)));
        await restore();
      }
      expect([name, answers[0]]).toEqual([name, answers[1]]);
      expect([name, answers[0].status]).toEqual([name, 200]);
    }
    const dry = await gw.http().post(`${CUSTOMERS}?on_conflict=id&dry_run=true`).set(bob).send({ rows: [{ id: 7, email: stored.email }] });
    expect(dry.body).toEqual({ dryRun: true, inserted: 0, updated: 1, unchanged: 0 });
    // What bob reads in clear is still compared: the same name is unchanged.
    const same = await gw.http().post(`${CUSTOMERS}?on_conflict=id&dry_run=true`).set(bob).send({ rows: [{ id: 7, name: stored.name }] });
    expect(same.body).toEqual({ dryRun: true, inserted: 0, updated: 0, unchanged: 1 });
  });

  it('a guarded column read masked: its change limit is no oracle either (one 403 whatever the guess)', async () => {
    const max = bearer(gw.token('max'));
    const [stored] = await bids().where({ id: 3 });
    const near = Number(stored.bid); // within maxChangePct of the stored value
    const far = Math.min(49, Number(stored.bid) * 3); // beyond it
    const tries: [string, (bid: number) => Promise<Response>][] = [
      ['dry-run upsert', (bid) => gw.http().post(`${BIDS}?on_conflict=id&dry_run=true`).set(max).send({ rows: [{ id: 3, bid }] })],
      ['upsert', (bid) => gw.http().post(`${BIDS}?on_conflict=id`).set(max).send({ rows: [{ id: 3, bid }] })],
      ['PATCH', (bid) => gw.http().patch(`${BIDS}?id=eq.3`).set(max).send({ set: { bid } })],
    ];
    for (const [name, send] of tries) {
      const answers = [seen(await send(near)), seen(await send(far)), seen(await send(near * 1.01))];
      expect([name, answers[0]]).toEqual([name, answers[1]]);
      expect([name, answers[0]]).toEqual([name, answers[2]]);
      expect([name, answers[0].status, JSON.parse(answers[0].text)]).toMatchObject([name, 403, { code: 'column_denied', column: 'bid', guardrail: 'maxChangePct' }]);
    }
    expect(Number((await bids().where({ id: 3 }))[0].bid)).toBe(Number(stored.bid));
    // A new row has no stored value to leak: inserting it is fine.
    const ins = await gw.http().post(`${BIDS}?on_conflict=id`).set(max).send({ rows: [{ id: 80001, campaign_id: 1, keyword: 'kw-80001', bid: 2 }] });
    expect([ins.status, ins.body]).toEqual([200, { inserted: 1, updated: 0, unchanged: 0 }]);
  });

  it('refuses an on_conflict key the writer cannot read in clear (a key lookup would be an oracle)', async () => {
    const max = bearer(gw.token('max'));
    const r = await gw.http().post(`${BIDS}?on_conflict=campaign_id,keyword&dry_run=true`).set(max).send({ rows: [{ campaign_id: 1, keyword: 'shoes', bid: 1 }] });
    expect([r.status, r.body.code, r.body.column]).toEqual([403, 'column_masked', 'campaign_id']);
  });
});
