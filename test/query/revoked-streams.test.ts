// A revoke stops what is already open (issue 12): a streamed answer re-checks the caller's access
// before each batch, so revoking the grant that authorised it, its expiry, suspending the subject or
// revoking its token ends the stream within one batch, with a 403 access_revoked problem and a cut
// connection, even for a client that takes more than a second to drain a batch. The completion audit
// entry says how the stream ended, with the rows and bytes sent and its duration. Every backend, on a
// real listener, read by a slow client.
import http from 'node:http';
import type net from 'node:net';
import { BATCH_CHARS } from '../../src/http/send-rows';
import { approxChars } from '../../src/stores/row-cursor';
import { BACKENDS, bearer, startTestGateway, type TestGateway, listen } from '../helpers/test-gateway';

const CUSTOMERS = '/v1/datasets/sales/customers/rows';
const FIRST = 100000;
const PLANTED = 10000; // ~2 KB each: ~20 MB of JSON, far more than the socket buffers hold
const QUERY = `${CUSTOMERS}?id=gte.${FIRST}&limit=${PLANTED}&order=id.asc`;
const planted = (id: number) => ({ id, name: `n${id}`.padEnd(1000, 'n'), email: `c${id}@example.test`, region: 'EU', segment: `s${id}`.padEnd(1000, 's') });
// The most rows, and bytes of JSON, one batch can hold (a batch stops at BATCH_CHARS of values).
const ROWS_PER_BATCH = Math.ceil(BATCH_CHARS / approxChars(planted(FIRST)));
const ONE_BATCH_BYTES = ROWS_PER_BATCH * (Buffer.byteLength(JSON.stringify(planted(FIRST))) + 64);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Streamed {
  status: number;
  body: string;
  /** The connection was cut before the answer was complete. */
  cut: boolean;
  /** Bytes the gateway wrote to the connection after `interfere` returned. */
  writtenAfter: number;
}

describe.each(BACKENDS)('a revoke stops a stream already open, on $name', ({ pg }) => {
  let gw: TestGateway;
  let server: http.Server;
  let port: number;
  const dana = () => bearer(gw.token('dana'));

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    const knex = gw.deps.stores.get('sales')!.knex;
    for (let id = FIRST; id < FIRST + PLANTED; id += 500) await knex('customers').insert(Array.from({ length: 500 }, (_, k) => planted(id + k)));
    ({ server, port } = await listen(gw.app));
  }, 120_000);
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await gw.close();
  });

  async function grantAnalyst(subject: string, expiresAt?: string): Promise<string> {
    const g = await gw.http().post('/v1/grants').set(dana()).send({ subject, role: 'analyst', domain: 'sales', reason: 'stream test', expiresAt });
    expect(g.status).toBe(201);
    return g.body.id;
  }

  /**
   * Starts the big read and stops reading after its first chunk; once the gateway has stalled on the
   * full socket, runs `interfere`, waits over a second (a slow client), then reads the rest.
   */
  async function readSlowly(token: string, requestId: string, interfere: () => Promise<void>, path = QUERY): Promise<Streamed> {
    const socket = new Promise<net.Socket>((r) => server.once('connection', r));
    let paused!: http.IncomingMessage;
    const answer = new Promise<Omit<Streamed, 'writtenAfter'>>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { ...bearer(token), 'X-Request-Id': requestId } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          if (!chunks.length) (paused = res).pause();
          chunks.push(c);
        });
        const done = (cut: boolean) => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString(), cut });
        res.on('end', () => done(!res.complete));
        res.on('aborted', () => done(true));
        res.on('error', () => done(true));
      });
      req.on('error', reject);
    });
    const sock = await socket;
    while (!paused) await sleep(10);
    // The gateway stalls once the socket buffers are full: bytesWritten stops moving.
    for (let last = -1, still = 0; still < 4; await sleep(50)) {
      still = sock.bytesWritten === last ? still + 1 : 0;
      last = sock.bytesWritten;
    }
    const before = sock.bytesWritten;
    try {
      await interfere();
      await sleep(1200);
    } finally {
      paused.resume();
    }
    const r = await answer;
    return { ...r, writtenAfter: sock.bytesWritten - before };
  }

  async function auditOf(requestId: string) {
    const entries = await gw.deps.state.knex('mg_audit').where({ request_id: requestId }).orderBy('id');
    return entries.map((e: { id: number | string; row_count: number | string | null; decision: string; details: string | null }) => ({
      id: Number(e.id),
      decision: e.decision,
      rowCount: e.row_count === null ? null : Number(e.row_count),
      details: e.details ? JSON.parse(e.details) : null,
    }));
  }

  /** The stream was cut within one batch of the revoke, ends with the problem, and is audited as cut. */
  async function expectCut(r: Streamed, requestId: string, because: string): Promise<void> {
    expect(r.status).toBe(200);
    expect(r.cut).toBe(true);
    expect(r.writtenAfter).toBeLessThanOrEqual(ONE_BATCH_BYTES);
    const tail = JSON.parse(r.body);
    expect(tail.error).toMatchObject({ code: 'access_revoked', status: 403, because, requestId });
    expect(tail.rows.length).toBeGreaterThan(0);
    expect(tail.rows.length).toBeLessThan(PLANTED);
    expect(tail.rows.map((x: { id: number }) => x.id)).toEqual(Array.from({ length: tail.rows.length }, (_, i) => FIRST + i));
    const [first, ended, ...more] = await auditOf(requestId);
    expect(more).toEqual([]);
    expect(first).toMatchObject({ decision: 'allow', rowCount: null });
    expect(ended.details).toMatchObject({ streamed: true, outcome: 'cut_by_revocation', code: 'access_revoked', because, completes: first.id });
    expect(ended.rowCount).toBe(tail.rows.length);
    // The bytes sent are the rows, without the problem that closes the answer.
    expect(ended.details.bytes).toBe(Buffer.byteLength(r.body.slice(0, r.body.lastIndexOf('],"error":'))));
    expect(ended.details.durationMs).toBeGreaterThanOrEqual(1200);
  }

  it('revoking the grant that authorised the read ends the stream within one batch', async () => {
    const id = await grantAnalyst('rita');
    const requestId = `revoke-${pg}`;
    const r = await readSlowly(gw.token('rita'), requestId, async () => {
      expect((await gw.http().delete(`/v1/grants/${id}?reason=leaver`).set(dana())).status).toBe(204);
    });
    await expectCut(r, requestId, 'grant_revoked_or_expired');
    expect(JSON.parse(r.body).error.grantIds).toEqual([id]);
  }, 60_000);

  it('revoking the grant ends an NDJSON export with a final {"error"} line and a cut', async () => {
    const id = await grantAnalyst('nina');
    const requestId = `revoke-ndjson-${pg}`;
    const r = await readSlowly(
      gw.token('nina'),
      requestId,
      async () => {
        expect((await gw.http().delete(`/v1/grants/${id}?reason=leaver`).set(dana())).status).toBe(204);
      },
      `${CUSTOMERS}?id=gte.${FIRST}&order=id.asc&format=ndjson`,
    );
    expect(r.status).toBe(200);
    expect(r.cut).toBe(true);
    const lines = r.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    const last = lines.pop();
    expect(last.error).toMatchObject({ code: 'access_revoked', status: 403, because: 'grant_revoked_or_expired' });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThan(PLANTED);
    expect(lines.map((x: { id: number }) => x.id)).toEqual(Array.from({ length: lines.length }, (_, i) => FIRST + i));
    const [, ended] = await auditOf(requestId);
    expect(ended.details).toMatchObject({ outcome: 'cut_by_revocation', format: 'ndjson' });
    expect(ended.rowCount).toBe(lines.length);
  }, 60_000);

  it('suspending the subject ends the stream within one batch', async () => {
    await grantAnalyst('sam');
    const requestId = `suspend-${pg}`;
    const r = await readSlowly(gw.token('sam'), requestId, async () => {
      expect((await gw.http().post('/v1/subjects/sam/suspend').set(dana()).send({ reason: 'incident' })).status).toBe(200);
    });
    await expectCut(r, requestId, 'subject_suspended');
  }, 60_000);

  it('revoking the token ends the stream within one batch', async () => {
    await grantAnalyst('tess');
    const token = gw.token('tess', { jti: `tess-${pg}` });
    const requestId = `token-${pg}`;
    const r = await readSlowly(token, requestId, async () => {
      expect((await gw.http().post('/v1/revocations').set(dana()).send({ jti: `tess-${pg}`, reason: 'lost laptop' })).status).toBe(201);
    });
    await expectCut(r, requestId, 'token_revoked');
  }, 60_000);

  it('a grant that expires mid-stream ends it within one batch', async () => {
    const expiresAt = Date.now() + 2000;
    await grantAnalyst('una', new Date(expiresAt).toISOString());
    const requestId = `expiry-${pg}`;
    const r = await readSlowly(gw.token('una'), requestId, async () => {
      while (Date.now() <= expiresAt) await sleep(50);
    });
    await expectCut(r, requestId, 'grant_revoked_or_expired');
  }, 60_000);

  it('a stream nobody revokes completes, whatever else is revoked meanwhile', async () => {
    await grantAnalyst('vera');
    const other = await grantAnalyst('walt');
    const requestId = `whole-${pg}`;
    const r = await readSlowly(gw.token('vera'), requestId, async () => {
      expect((await gw.http().delete(`/v1/grants/${other}?reason=leaver`).set(dana())).status).toBe(204);
      expect((await gw.http().post('/v1/subjects/walt/suspend').set(dana()).send({ reason: 'incident' })).status).toBe(200);
    });
    expect(r.cut).toBe(false);
    const body = JSON.parse(r.body);
    expect(body.error).toBeUndefined();
    expect(body.rows).toHaveLength(PLANTED);
    expect(body.rows[0].email).toMatch(/^tok_/);
    const [first, ended, ...more] = await auditOf(requestId);
    expect(more).toEqual([]);
    // The bytes sent before the entry was written: every row, all but the closing members.
    expect(ended.details).toMatchObject({ streamed: true, outcome: 'complete', completes: first.id, bytes: Buffer.byteLength(r.body.slice(0, r.body.lastIndexOf('],"limit":'))) });
    expect(ended.details.durationMs).toBeGreaterThanOrEqual(1200);
    expect(ended.rowCount).toBe(PLANTED);
  }, 60_000);
});
