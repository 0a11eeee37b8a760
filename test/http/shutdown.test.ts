// Closing the gateway while requests are still running lets them finish: none is cut off with a 500
// because its database pool was destroyed under it.
import type { AddressInfo } from 'node:net';
import { BACKENDS, startTestGateway } from '../helpers/test-gateway';

describe.each(BACKENDS)('shutdown on $name', ({ pg }) => {
  it('finishes the requests in flight before closing the pools', async () => {
    const gw = await startTestGateway({ pg });
    const server = gw.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    let received = 0;
    const allIn = new Promise<void>((resolve) =>
      server.on('request', () => {
        if (++received === 30) resolve();
      }),
    );
    const answers = Array.from({ length: 30 }, (_, i) =>
      fetch(`http://127.0.0.1:${port}/v1/datasets/sales/orders/rows?limit=5&offset=${i}`, {
        headers: { Authorization: `Bearer ${gw.token('alice')}` },
      }).then((r) => r.status),
    );
    await allIn;
    server.close();
    await gw.close();
    expect(await Promise.all(answers)).toEqual(Array(30).fill(200));
    server.closeAllConnections();
  });
});
