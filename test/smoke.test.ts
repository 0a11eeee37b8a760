// First end-to-end look: the demo mesh answers an analyst's read, on every backend.
import { BACKENDS, bearer, startTestGateway, type TestGateway } from './helpers/test-gateway';

describe.each(BACKENDS)('demo mesh on $name', ({ pg }) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ pg });
  });
  afterAll(() => gw.close());

  it('serves an analyst 5 EU orders', async () => {
    const r = await gw.http().get('/v1/datasets/sales/orders/rows?region=eq.EU&limit=5').set(bearer(gw.token('alice')));
    expect(r.status).toBe(200);
    expect(r.body.rows).toHaveLength(5);
    expect(r.body.rows.every((x: { region: string }) => x.region === 'EU')).toBe(true);
  });
});
