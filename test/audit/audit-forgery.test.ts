// Forging the audit log with write access to the state store but not to the data dir's signing key:
// a row planted beyond the signed head, an unsigned head, a log wiped back to its (replayed) genesis
// head, and a tail cut back to an earlier, genuinely signed head. Verify (HTTP and CLI) catches each,
// the listing never shows a planted row, and the commit path fails closed with a 503 that names the
// broken chain instead of being wedged. Every backend.
import { auditVerifyVerb } from '../../src/cli/audit-verify-verb';
import { toRow } from '../../src/audit/audit-entry';
import { readWitness } from '../../src/audit/audit-witness';
import { readSigningKey, signHead } from '../../src/audit/signing-key';
import { GENESIS_HASH } from '../../src/audit/verify-chain';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';
import { runVerb } from './support/run-verb';

const ORDERS = '/v1/datasets/sales/orders/rows?limit=2';

describe.each(BACKENDS)('audit forgery on $name', ({ pg }) => {
  let gw: TestGateway;
  const as = (s: string) => bearer(gw.token(s));
  const audit = () => gw.deps.state.knex('mg_audit');
  const head = () => gw.deps.state.knex('mg_audit_head').where({ id: 1 });
  const headId = async () => Number((await head().first()).last_id);
  const httpVerify = async () => {
    const r = await gw.http().get('/v1/audit/verify').set(as('erin'));
    expect(r.status).toBe(200);
    return r.body as { ok: boolean; entries: number; firstBroken: number | null; problem?: string };
  };
  const cliVerify = async () => {
    const r = await runVerb(gw, auditVerifyVerb, []);
    return { code: r.code, ...JSON.parse(r.out), err: r.err };
  };
  const readWitnessId = () => {
    const w = readWitness(gw.dataDir);
    return w.kind === 'head' ? w.head.lastId : -1;
  };
  /** Waits until the witness (updated at most once a second) holds at least `id`. */
  async function witnessAt(id: number): Promise<void> {
    for (let i = 0; i < 60; i++) {
      const w = readWitness(gw.dataDir);
      if (w.kind === 'head' && w.head.lastId >= id) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the witness never reached ${id}`);
  }
  /** Everything an attacker may rewrite, to put back after a case (never to a head below the witness). */
  async function snapshot(): Promise<() => Promise<void>> {
    const rows = await audit().orderBy('id');
    const cps = await gw.deps.state.knex('mg_audit_checkpoints');
    const h = await head().first();
    return async () => {
      await audit().del();
      for (let i = 0; i < rows.length; i += 50) await audit().insert(rows.slice(i, i + 50));
      await gw.deps.state.knex('mg_audit_checkpoints').del();
      if (cps.length) await gw.deps.state.knex('mg_audit_checkpoints').insert(cps);
      await head().update({ last_id: h.last_id, last_hash: h.last_hash, head_sig: h.head_sig });
    };
  }

  beforeAll(async () => {
    gw = await startTestGateway({ pg });
    for (let i = 0; i < 3; i++) expect((await gw.http().get(ORDERS).set(as('alice'))).status).toBe(200);
  });
  afterAll(() => gw.close());

  it('signs the genesis head of a new state store, and finds an unsigned head', async () => {
    const fresh = await startTestGateway({ pg, seedDemo: false });
    try {
      const h = () => fresh.deps.state.knex('mg_audit_head').where({ id: 1 });
      expect(await h().first()).toMatchObject({ last_hash: GENESIS_HASH, head_sig: expect.any(String) });
      expect(await runVerb(fresh, auditVerifyVerb, []).then((r) => [r.code, JSON.parse(r.out)])).toEqual([0, { ok: true, entries: 0, firstBroken: null }]);
      await h().update({ head_sig: null });
      const r = await runVerb(fresh, auditVerifyVerb, []);
      expect([r.code, JSON.parse(r.out)]).toEqual([1, { ok: false, entries: 0, firstBroken: 0, problem: 'the head is not signed by this key' }]);
      expect(r.err).toMatch(/broken at entry 0: the head is not signed/);
    } finally {
      await fresh.close();
    }
  });

  it('finds a row planted beyond the head, never lists it, and fails closed with a 503 naming it when the chain reaches it', async () => {
    const h = await headId();
    const plantedId = h + 4;
    const planted = toRow(plantedId, { ts: new Date(), requestId: 'planted', subject: 'alice', action: 'read', resource: 'hr.employees', decision: 'allow', reason: 'looks fine', status: 200 }, 'f'.repeat(64));
    await audit().insert(planted);
    try {
      const report = await httpVerify(); // its own entry is h + 1
      expect(report).toMatchObject({ ok: false, firstBroken: plantedId, problem: expect.stringMatching(/beyond the signed head/) });
      const cli = await cliVerify();
      expect(cli).toMatchObject({ code: 1, ok: false, firstBroken: plantedId });
      const list = await gw.http().get('/v1/audit?limit=1000').set(as('erin')); // h + 2
      expect(list.status).toBe(200);
      expect(list.body.entries.map((e: { requestId: string }) => e.requestId)).not.toContain('planted');
      const exported = await gw.http().get('/v1/audit/export').set(as('erin')); // h + 3
      expect(exported.text).not.toMatch(/"planted"/);
      // The next entry would be the planted row's id: every request is refused, with a detail that says why.
      for (const r of [await gw.http().get(ORDERS).set(as('alice')), await gw.http().get('/v1/me').set(as('alice')), await gw.http().post('/v1/grants').set(as('dana')).send({ subject: 'ivan', role: 'analyst', domain: 'sales', reason: 'r' })]) {
        expect(r.status).toBe(503);
        expect(r.body).toMatchObject({ code: 'audit_unavailable', detail: expect.stringMatching(new RegExp(`audit chain is broken at id ${plantedId} \\(a row beyond the signed head ${h + 3}\\).*audit-verify`)) });
        expect(r.body.rows).toBeUndefined();
      }
      expect(await gw.deps.state.knex('mg_grants').where({ subject: 'ivan' })).toHaveLength(0);
      expect(await headId()).toBe(h + 3);
    } finally {
      await audit().where({ id: plantedId }).del();
    }
    // Without the planted row the chain goes on from where it was.
    const after = await gw.http().get(ORDERS).set(as('alice'));
    expect([after.status, after.body.detail]).toEqual([200, undefined]);
    expect(await httpVerify()).toEqual({ ok: true, entries: expect.any(Number), firstBroken: null });
  });

  it('finds a log wiped back to its genesis head, even with the genesis signature replayed', async () => {
    const h = await headId();
    await witnessAt(h);
    const restore = await snapshot();
    const key = readSigningKey(gw.dataDir)!;
    try {
      await audit().del();
      await gw.deps.state.knex('mg_audit_checkpoints').del();
      for (const sig of [null, signHead(key, 0, GENESIS_HASH)]) {
        await head().update({ last_id: 0, last_hash: GENESIS_HASH, head_sig: sig });
        const cli = await cliVerify();
        expect(cli).toMatchObject({ code: 1, ok: false, entries: 0, firstBroken: sig ? 1 : 0 });
        if (sig) expect(cli.problem).toBe(`the head (0) is below the witness (${readWitnessId()}): the log was rolled back or reset`);
      }
      expect(await httpVerify()).toMatchObject({ ok: false, firstBroken: 1, problem: expect.stringMatching(/below the witness/) });
      // The chain that restarts from the replayed genesis is still below the witness.
      expect(await cliVerify()).toMatchObject({ ok: false, firstBroken: 2 });
    } finally {
      await restore();
    }
    expect(await cliVerify()).toMatchObject({ ok: true, firstBroken: null });
  });

  it('finds a tail cut back to an earlier head that was genuinely signed', async () => {
    const earlier = await head().first();
    const cut = Number(earlier.last_id);
    for (let i = 0; i < 3; i++) expect((await gw.http().get(ORDERS).set(as('alice'))).status).toBe(200);
    await witnessAt(cut + 3);
    const restore = await snapshot();
    try {
      await audit().where('id', '>', cut).del();
      await head().update({ last_id: earlier.last_id, last_hash: earlier.last_hash, head_sig: earlier.head_sig });
      expect(await cliVerify()).toMatchObject({ code: 1, ok: false, firstBroken: cut + 1, problem: expect.stringMatching(/rolled back or reset/) });
    } finally {
      await restore();
    }
    expect(await cliVerify()).toMatchObject({ ok: true, firstBroken: null });
  });
});
