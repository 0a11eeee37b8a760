// Reads reuse prepared statements per SQL shape: the same shape with other values must give the
// other values' rows, on every backend, and a shape seen before must still answer after many others.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ORDERS = '/v1/datasets/sales/orders/rows';

describe.each(BACKENDS)('repeated read shapes on $name', ({ pg }) => {
  let gw: TestGateway;
  let alice: Record<string, string>;

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    alice = bearer(gw.token('alice'));
  });
  afterAll(() => gw.close());

  it('binds each request its own values', async () => {
    for (const region of ['EU', 'NA', 'EU', 'APAC', 'NA']) {
      const r = await gw.http().get(`${ORDERS}?region=eq.${region}&limit=20`).set(alice);
      expect(r.status).toBe(200);
      expect(r.body.rows.length).toBe(20);
      for (const row of r.body.rows) expect(row.region).toBe(region);
    }
  });

  it('answers a shape seen before after more shapes than the cache holds', async () => {
    // An in.(...) list of n values is its own SQL shape: 300 shapes, more than the cache's 256.
    for (let n = 1; n <= 300; n++) {
      const ids = Array.from({ length: n }, (_, i) => i + 1).join(',');
      const r = await gw.http().get(`${ORDERS}?select=id&id=in.(${ids})&limit=1000`).set(alice);
      expect(r.status).toBe(200);
      expect(r.body.rows.length).toBe(n);
    }
    const again = await gw.http().get(`${ORDERS}?region=eq.LATAM&limit=5`).set(alice);
    expect(again.body.rows.map((x: { region: string }) => x.region)).toEqual(Array(5).fill('LATAM'));
  });
});
