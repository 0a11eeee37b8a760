// Issue 10, finding 4: a row-scoped write rule holds on the row as stored AND as it will be after the
// write (PostgreSQL's WITH CHECK). A stored row outside the writer's scope is refused before any of
// its values is compared, with one refusal that names no column or value; no write moves a row out.
import type { Response } from 'supertest';
import { GatewayError } from '../../src/errors';
import { buildAbility } from '../../src/policy/build-ability';
import { loadPolicies } from '../../src/policy/load-policies';
import { checkRowUpdate, clearValues } from '../../src/query/write-check';
import { editPolicy, usePolicyCopy } from '../helpers/policy-copy';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ORDERS = '/v1/datasets/sales/orders/rows';
const HIDDEN = 1; // a demo order in NA
const MINE = 3; // a demo order in EU

/** What a client sees of an answer, with the request id (the only thing allowed to differ) blanked. */
const seen = (r: Response) => ({ status: r.status, text: r.text.split(String(r.headers['x-request-id'])).join('<request-id>') });

const EU_ORDER_WRITER = {
  scope: 'domain',
  maxGrantDays: 30,
  rules: [{ actions: ['read', 'insert', 'update'], datasets: ['orders'], classifications: ['public', 'internal'], rows: { region: 'EU' } }],
};

describe('write checks (pure)', () => {
  const copy = usePolicyCopy();
  const setup = () => {
    copy.edit('roles.yaml', (d) => (d.roles.eu_order_writer = EU_ORDER_WRITER));
    const policies = loadPolicies(copy.dir);
    const t = '2026-01-01T00:00:00.000Z';
    const grant = { id: 'g1', subject: 'eve', role: 'eu_order_writer', domain: 'sales', reason: 't', createdBy: 't', createdAt: t, expiresAt: null, revokedAt: null, revokedBy: null, revokeReason: null, lastUsedAt: null, lastWriteAt: null };
    return { ability: buildAbility(policies, [grant]), ds: policies.datasets.get('sales.orders')! };
  };
  const refusal = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return [(e as GatewayError).code, (e as GatewayError).extra];
    }
    return undefined;
  };

  it('allows a write on the row as stored and as written; refuses before or after with one row_denied', () => {
    const { ability, ds } = setup();
    const eu = { id: 3, region: 'EU', status: 'paid' };
    const na = { id: 1, region: 'NA', status: 'paid' };
    expect(refusal(() => checkRowUpdate(ability, ds, eu, { status: 'refunded' }, ['status'], 'rows[0]'))).toBeUndefined();
    expect(refusal(() => checkRowUpdate(ability, ds, na, { status: 'refunded' }, ['status'], 'rows[0]'))).toEqual(['row_denied', {}]);
    expect(refusal(() => checkRowUpdate(ability, ds, na, {}, [], 'rows[0]'))).toEqual(['row_denied', {}]);
    expect(refusal(() => checkRowUpdate(ability, ds, eu, { region: 'NA' }, ['region'], 'set'))).toEqual(['row_denied', {}]);
  });

  it('compares only the values read in clear on the stored row', () => {
    const { ability, ds } = setup();
    expect(Object.keys(clearValues(ability, ds, { id: 3, region: 'EU', amount: 5 }))).toEqual(['id', 'region', 'amount']);
    expect(clearValues(ability, ds, { id: 1, region: 'NA', amount: 5 })).toEqual({});
  });
});

describe.each(BACKENDS)('row-scoped writes are checked before and after, on $name', ({ pg }) => {
  let gw: TestGateway;
  let eve: Record<string, string>;
  const orders = () => gw.deps.stores.get('sales')!.knex('orders');
  const stored = async (id: number) => (await orders().where({ id }))[0];

  beforeAll(async () => {
    gw = await startTestGateway({
      pg,
      policies: (dir) =>
        editPolicy(dir, 'roles.yaml', (d) => {
          d.roles.eu_order_writer = EU_ORDER_WRITER;
        }),
    });
    const g = await gw.http().post('/v1/grants').set(bearer(gw.token('dana'))).send({ subject: 'eve', role: 'eu_order_writer', domain: 'sales', reason: 'test' });
    expect(g.status).toBe(201);
    eve = bearer(gw.token('eve'));
  });
  afterAll(() => gw.close());

  it('an upsert of a stored row outside the scope is one refusal, whatever the guess, dry run or not', async () => {
    const hidden = await stored(HIDDEN);
    expect(hidden.region).toBe('NA');
    const right = { id: HIDDEN, region: hidden.region, status: hidden.status };
    const wrong = { id: HIDDEN, region: 'EU', status: hidden.status === 'paid' ? 'pending' : 'paid' };
    for (const dry of [true, false]) {
      const url = `${ORDERS}?on_conflict=id${dry ? '&dry_run=true' : ''}`;
      const answers = [];
      for (const row of [right, wrong, { id: HIDDEN }, { id: HIDDEN, status: hidden.status }]) answers.push(seen(await gw.http().post(url).set(eve).send({ rows: [row] })));
      for (const a of answers) expect(a).toEqual(answers[0]);
      const body = JSON.parse(answers[0].text);
      expect([answers[0].status, body.code, body.column]).toEqual([403, 'row_denied', undefined]);
      for (const leak of ['region', 'status', hidden.region, hidden.status]) expect(body.detail).not.toContain(leak);
    }
    expect(await stored(HIDDEN)).toEqual(hidden);
    // PATCH never reaches it (its filter is ANDed with the scope): nothing updated.
    expect((await gw.http().patch(`${ORDERS}?id=eq.${HIDDEN}`).set(eve).send({ set: { status: 'paid' } })).body).toEqual({ updated: 0 });
  });

  it('neither PATCH nor upsert moves a row out of the scope; writes that stay inside it pass', async () => {
    const mine = await stored(MINE);
    expect(mine.region).toBe('EU');
    const patch = await gw.http().patch(`${ORDERS}?id=eq.${MINE}`).set(eve).send({ set: { region: 'NA' } });
    expect([patch.status, patch.body.code]).toEqual([403, 'row_denied']);
    const wide = await gw.http().patch(`${ORDERS}?region=eq.EU`).set(eve).send({ set: { region: 'APAC', status: 'paid' } });
    expect([wide.status, wide.body.code]).toEqual([403, 'row_denied']);
    for (const dry of [true, false]) {
      const up = await gw.http().post(`${ORDERS}?on_conflict=id${dry ? '&dry_run=true' : ''}`).set(eve).send({ rows: [{ id: MINE, region: 'NA' }] });
      expect([up.status, up.body.code]).toEqual([403, 'row_denied']);
    }
    expect(await stored(MINE)).toEqual(mine);
    expect(Number((await orders().where({ region: 'EU' }).count({ n: '*' }))[0].n)).toBeGreaterThan(0);

    const ok = await gw.http().patch(`${ORDERS}?id=eq.${MINE}`).set(eve).send({ set: { status: 'refunded', region: 'EU' } });
    expect([ok.status, ok.body]).toEqual([200, { updated: 1 }]);
    const up = await gw.http().post(`${ORDERS}?on_conflict=id`).set(eve).send({ rows: [{ id: MINE, status: 'paid' }] });
    expect([up.status, up.body]).toEqual([200, { inserted: 0, updated: 1, unchanged: 0 }]);
    expect((await stored(MINE)).status).toBe('paid');
  });

  it('inserts keep their check on the new row', async () => {
    const order = (id: number, region: string) => ({ id, customer_id: 7, region, amount: 10, status: 'pending', created_at: '2026-03-01T10:00:00Z' });
    expect((await gw.http().post(ORDERS).set(eve).send({ rows: [order(92001, 'NA')] })).status).toBe(403);
    expect((await gw.http().post(`${ORDERS}?on_conflict=id`).set(eve).send({ rows: [order(92001, 'NA')] })).status).toBe(403);
    expect((await gw.http().post(ORDERS).set(eve).send({ rows: [order(92001, 'EU')] })).status).toBe(201);
    expect(await orders().where({ id: 92001 })).toHaveLength(1);
  });
});
