// Every export is audited twice (issue 12): an entry committed before the first byte, and a completion
// entry with the rows and bytes sent, the duration and how it ended; small exports too, where a JSON
// answer of the same rows is one entry. Every backend.
import crypto from 'node:crypto';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

describe.each(BACKENDS)('export audit on $name', ({ pg }) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ pg });
  });
  afterAll(() => gw.close());

  const entries = (requestId: string) => gw.deps.state.knex('mg_audit').where({ request_id: requestId }).orderBy('id');

  it.each(['csv', 'ndjson', 'arrow', 'parquet'])('audits a small %s export before its first byte and when it ends', async (format) => {
    const id = `export-${format}-${crypto.randomUUID()}`;
    const r = await gw.http().get(`/v1/datasets/hr/employees/rows?format=${format}`).set(bearer(gw.token('carol'))).set('X-Request-Id', id).buffer(true);
    expect(r.status).toBe(200);
    const [first, ended, ...more] = await entries(id);
    expect(more).toHaveLength(0);
    expect(first).toMatchObject({ subject: 'carol', decision: 'allow', row_count: null });
    expect(JSON.parse(first.details)).toMatchObject({ streamed: true, format });
    expect(Number(ended.row_count)).toBe(100);
    const done = JSON.parse(ended.details);
    expect(done).toMatchObject({ outcome: 'complete', format, completes: Number(first.id) });
    expect(done.bytes).toBeGreaterThan(0);
    expect(typeof done.durationMs).toBe('number');
  });

  it('audits a small JSON answer once, with its row count', async () => {
    const id = `json-${crypto.randomUUID()}`;
    const r = await gw.http().get('/v1/datasets/hr/employees/rows?limit=1000').set(bearer(gw.token('carol'))).set('X-Request-Id', id);
    expect(r.status).toBe(200);
    const rows = await entries(id);
    expect(rows).toHaveLength(1);
    expect(Number(rows[0].row_count)).toBe(100);
  });
});
