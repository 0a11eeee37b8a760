// Instant revocation across processes: an in-process gateway and a child-process gateway share one
// state store (one SQLite file, or one PostgreSQL schema). A change made through one is effective on
// the very next request through the other: no timer, no restart.
import type { ChildProcess } from 'node:child_process';
import request from 'supertest';
import { startChild, stopChild } from '../helpers/child-process';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const ROWS = '/v1/datasets/sales/orders/rows?limit=1';

describe.each(BACKENDS)('two gateway processes on $name', ({ pg }) => {
  let gw: TestGateway;
  let child: ChildProcess;
  let other: () => request.Agent;
  const as = (s: string) => bearer(gw.token(s));

  beforeAll(async () => {
    gw = await startTestGateway({ pg, env: { MESHGUARD_BOOTSTRAP_ADMIN: 'root' } });
    const started = await startChild(gw.env);
    child = started.child;
    other = () => request.agent(started.url);
  }, 60_000);
  afterAll(async () => {
    if (child) await stopChild(child);
    await gw.close();
  });

  it('a grant revoked through one process is refused on the very next request through the other', async () => {
    const g = await gw.http().post('/v1/grants').set(as('dana')).send({ subject: 'pia', role: 'analyst', domain: 'sales', reason: 'two processes' });
    expect(g.status).toBe(201);
    const t = as('pia');
    // Warm the other process's cache first, so only the revocation itself can invalidate it.
    expect((await other().get(ROWS).set(t)).status).toBe(200);
    expect((await other().get(ROWS).set(t)).status).toBe(200);
    expect((await gw.http().delete(`/v1/grants/${g.body.id}?reason=done`).set(as('dana'))).status).toBe(204);
    expect((await other().get(ROWS).set(t)).status).toBe(403);
  });

  it('a grant made through the other process works at once here', async () => {
    const t = as('quin');
    expect((await gw.http().get(ROWS).set(t)).status).toBe(403);
    expect((await other().post('/v1/grants').set(as('dana')).send({ subject: 'quin', role: 'analyst', domain: 'sales', reason: 'x' })).status).toBe(201);
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
  });

  it('a token revoked through the other process is refused here at once', async () => {
    const t = bearer(gw.token('alice', { jti: 'shared-jti' }));
    expect((await gw.http().get(ROWS).set(t)).status).toBe(200);
    expect((await other().post('/v1/revocations').set(as('dana')).send({ jti: 'shared-jti', reason: 'x' })).status).toBe(201);
    expect((await gw.http().get(ROWS).set(t)).body.code).toBe('token_revoked');
  });

  it('a suspension through one process stops the subject on the other, and resume restores it', async () => {
    const t = as('bob');
    expect((await other().get(ROWS).set(t)).status).toBe(200);
    expect((await gw.http().post('/v1/subjects/bob/suspend').set(as('dana')).send({ reason: 'incident' })).status).toBe(200);
    expect((await other().get(ROWS).set(t)).body.code).toBe('subject_suspended');
    expect((await gw.http().post('/v1/subjects/bob/resume').set(as('dana')).send({ reason: 'clear' })).status).toBe(200);
    expect((await other().get(ROWS).set(t)).status).toBe(200);
  });
});
