// Tamper evidence: GET /v1/audit/verify and the audit-verify verb recompute the hash chain, and an
// edited, a deleted or a reordered row, or a cut tail, is found. Retention (audit-prune) deletes old
// entries behind a signed checkpoint, so the rest still verifies, and a forged or missing checkpoint
// is found too. Every backend.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { auditPruneVerb } from '../../src/cli/audit-prune-verb';
import { auditVerifyVerb } from '../../src/cli/audit-verify-verb';
import { signHead, type SigningKey } from '../../src/audit/signing-key';
import { BACKENDS, bearer, startTestGateway, TestClock, type TestGateway } from '../helpers/test-gateway';
import { DEMO_GRANTS } from '../../seeds/demo-data';
import { runVerb } from './support/run-verb';

const DAY = 86_400_000;

describe.each(BACKENDS)('audit chain on $name', ({ pg }) => {
  let gw: TestGateway;
  const clock = new TestClock(Date.now() - 20 * DAY);
  const audit = () => gw.deps.state.knex('mg_audit');
  const verify = async () => {
    const r = await gw.http().get('/v1/audit/verify').set(bearer(gw.token('erin')));
    expect(r.status).toBe(200);
    return r.body as { ok: boolean; entries: number; firstBroken: number | null };
  };
  /** Tampers with the stored log, checks what verify says, and puts everything back. */
  async function tampered(change: () => Promise<void>, undo: () => Promise<void>): Promise<{ ok: boolean; firstBroken: number | null; cli: number }> {
    await change();
    try {
      const report = await verify();
      const cli = await runVerb(gw, auditVerifyVerb, []);
      expect(JSON.parse(cli.out).firstBroken).toBe(report.firstBroken);
      return { ok: report.ok, firstBroken: report.firstBroken, cli: cli.code };
    } finally {
      await undo();
    }
  }

  beforeAll(async () => {
    gw = await startTestGateway({ pg, clock });
    clock.advance(5 * DAY);
    for (let i = 0; i < 5; i++) await gw.http().get('/v1/datasets/sales/orders/rows?limit=2').set(bearer(gw.token('alice')));
  });
  afterAll(() => gw.close());

  it('verifies a whole chain, over HTTP and on the command line', async () => {
    const report = await verify();
    expect(report).toEqual({ ok: true, entries: expect.any(Number), firstBroken: null });
    expect(report.entries).toBe(DEMO_GRANTS.length + 5); // one entry per demo grant, five reads
    const cli = await runVerb(gw, auditVerifyVerb, []);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.out)).toMatchObject({ ok: true, firstBroken: null });
  });

  it('finds an edited row', async () => {
    const row = await audit().where({ id: 4 }).first();
    const r = await tampered(
      () => audit().where({ id: 4 }).update({ reason: 'nothing to see here' }),
      () => audit().where({ id: 4 }).update({ reason: row.reason }),
    );
    expect(r).toEqual({ ok: false, firstBroken: 4, cli: 1 });
    expect((await verify()).ok).toBe(true);
  });

  it('finds an edited row even when its hash was recomputed without the key', async () => {
    const row = await audit().where({ id: 3 }).first();
    const r = await tampered(
      () => audit().where({ id: 3 }).update({ decision: 'deny', hash: 'f'.repeat(64) }),
      () => audit().where({ id: 3 }).update({ decision: row.decision, hash: row.hash }),
    );
    expect(r.ok).toBe(false);
    expect(r.firstBroken).toBe(3);
  });

  it('finds a deleted row', async () => {
    const row = await audit().where({ id: 5 }).first();
    const r = await tampered(
      () => audit().where({ id: 5 }).del(),
      () => audit().insert(row),
    );
    expect(r).toEqual({ ok: false, firstBroken: 5, cli: 1 });
  });

  it('finds reordered rows', async () => {
    const r = await tampered(
      async () => {
        await audit().where({ id: 6 }).update({ id: -6 });
        await audit().where({ id: 7 }).update({ id: 6 });
        await audit().where({ id: -6 }).update({ id: 7 });
      },
      async () => {
        await audit().where({ id: 6 }).update({ id: -6 });
        await audit().where({ id: 7 }).update({ id: 6 });
        await audit().where({ id: -6 }).update({ id: 7 });
      },
    );
    expect(r).toEqual({ ok: false, firstBroken: 6, cli: 1 });
    expect((await verify()).ok).toBe(true);
  });

  it('finds a cut tail', async () => {
    const head = await gw.deps.state.knex('mg_audit_head').first();
    const lastId = Number(head.last_id);
    const row = await audit().where({ id: lastId }).first();
    await audit().where({ id: lastId }).del();
    try {
      const cli = await runVerb(gw, auditVerifyVerb, []);
      expect(cli.code).toBe(1);
      expect(JSON.parse(cli.out)).toMatchObject({ ok: false, firstBroken: lastId });
    } finally {
      await audit().insert(row);
    }
  });

  it('finds a cut tail even when the head was rewritten to match, and a head signed by another key', async () => {
    const head = () => gw.deps.state.knex('mg_audit_head');
    const headRow = await head().first();
    const lastId = Number(headRow.last_id);
    const row = await audit().where({ id: lastId }).first();
    const prev = await audit().where({ id: lastId - 1 }).first();
    // Only the command line verifies here: an HTTP verify would append to the tampered chain.
    await audit().where({ id: lastId }).del();
    await head().update({ last_id: lastId - 1, last_hash: prev.hash });
    try {
      const cli = await runVerb(gw, auditVerifyVerb, []);
      expect([cli.code, JSON.parse(cli.out)]).toEqual([1, { ok: false, entries: lastId - 1, firstBroken: lastId - 1, problem: 'the head is not signed by this key' }]);
      const other = { privateKey: crypto.generateKeyPairSync('ed25519').privateKey } as SigningKey;
      await head().update({ head_sig: signHead(other, lastId - 1, prev.hash) });
      expect((await runVerb(gw, auditVerifyVerb, [])).code).toBe(1);
    } finally {
      await audit().insert(row);
      await head().update({ last_id: headRow.last_id, last_hash: headRow.last_hash, head_sig: headRow.head_sig });
    }
    expect((await runVerb(gw, auditVerifyVerb, [])).code).toBe(0);
  });

  it('prune refuses to vouch for a tampered section and deletes nothing', async () => {
    const count = Number((await audit().count({ n: '*' }).first())!.n);
    const row = await audit().where({ id: 2 }).first();
    await audit().where({ id: 2 }).update({ subject: 'mallory' });
    try {
      const r = await runVerb(gw, auditPruneVerb, ['--before', new Date(clock.now().getTime() - DAY).toISOString()]);
      expect(r.code).toBe(1);
      expect(Number((await audit().count({ n: '*' }).first())!.n)).toBe(count);
    } finally {
      await audit().where({ id: 2 }).update({ subject: row.subject });
    }
  });

  it('prunes old entries behind a signed checkpoint; the rest verifies, a forged or missing checkpoint does not', async () => {
    const cutoff = new Date(clock.now().getTime() - DAY);
    const old = Number((await audit().where('ts', '<', cutoff.getTime()).count({ n: '*' }).first())!.n);
    expect(old).toBeGreaterThan(0);
    const r = await runVerb(gw, auditPruneVerb, ['--before', cutoff.toISOString()]);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.out);
    expect(result).toMatchObject({ pruned: old, throughId: old });
    expect(await audit().where('ts', '<', cutoff.getTime())).toHaveLength(0);
    const key = path.join(gw.dataDir, 'audit-signing-key');
    expect(fs.statSync(key).mode & 0o777).toBe(0o600);
    // The prune is itself an entry, and the chain verifies from the checkpoint on.
    const pruneEntry = await audit().where({ id: result.auditId }).first();
    expect(pruneEntry).toMatchObject({ action: 'audit_prune', decision: 'allow' });
    expect(Number(pruneEntry.row_count)).toBe(old);
    const after = await verify();
    expect(after).toMatchObject({ ok: true, firstBroken: null });

    const cps = () => gw.deps.state.knex('mg_audit_checkpoints');
    const cp = await cps().first();
    expect(Number(cp.through_id)).toBe(old);
    const forged = await tampered(
      () => cps().where({ id: cp.id }).update({ through_id: old + 1 }),
      () => cps().where({ id: cp.id }).update({ through_id: cp.through_id }),
    );
    expect(forged.ok).toBe(false);
    const gone = await tampered(
      () => cps().where({ id: cp.id }).del(),
      () => cps().insert(cp),
    );
    expect(gone).toEqual({ ok: false, firstBroken: 1, cli: 1 });
    expect((await verify()).ok).toBe(true);
  });

  it('refuses a prune without a date, with a bad date, or with a date in the future', async () => {
    for (const args of [[], ['--before', 'last week'], ['--before', new Date(Date.now() + DAY).toISOString()]]) {
      await expect(runVerb(gw, auditPruneVerb, args)).rejects.toThrow(/before/);
    }
  });
});
