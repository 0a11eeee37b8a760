// Migration 0006 rebuilds SQLite's mg_audit with the entry id as the rowid (one b-tree fewer per
// append). A log written under the old schema must come through whole: same ids, same rows, a chain
// that still verifies, its indexes back, and appends that go on from its head. Rolled back, the old
// schema returns with the same rows. SQLite only: on PostgreSQL the migration does nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { AuditLog } from '../../src/audit/audit-log';
import type { AuditInput } from '../../src/audit/audit-entry';
import { ensureSigningKey, signHead } from '../../src/audit/signing-key';
import { verifyChain } from '../../src/audit/verify-chain';
import { sqliteConnection } from '../../src/state/open-state';
import { stateMigrations } from '../../src/state/state-migrations';

const before0006: Knex.MigrationSource<string> = {
  ...stateMigrations,
  getMigrations: async () => (await stateMigrations.getMigrations([])).filter((m) => m < '0006'),
};

const entry = (i: number): AuditInput => ({
  ts: new Date(1_790_000_000_000 + i),
  requestId: `req-${i}`,
  subject: i % 3 === 0 ? null : `user-${i % 4}`,
  action: 'read',
  resource: 'sales.orders',
  decision: i % 5 === 0 ? 'deny' : 'allow',
  reason: i % 5 === 0 ? 'no grant' : null,
  status: i % 5 === 0 ? 403 : 200,
  columns: ['id', 'region'],
  rowCount: i,
  grantIds: ['g1'],
  details: { note: `entry ${i}`, quote: '"`\'' },
});

describe('migration 0006: the audit id becomes the rowid (SQLite)', () => {
  let dir: string;
  let knex: Knex;
  let verify: () => ReturnType<typeof verifyChain>;
  let newLog: () => AuditLog;
  const tableSql = async () => (await knex('sqlite_master').where({ type: 'table', name: 'mg_audit' }).first('sql')).sql as string;
  const indexes = async () => (await knex('sqlite_master').where({ type: 'index', tbl_name: 'mg_audit' }).orderBy('name').pluck('name')) as string[];
  const rows = () => knex('mg_audit').orderBy('id');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-rowid-'));
    knex = knexFactory(sqliteConnection(path.join(dir, 'state.sqlite')));
    const key = ensureSigningKey(dir);
    verify = () => verifyChain(knex, { publicKey: key.publicKey });
    newLog = () => new AuditLog(knex, 'sqlite', 512, (id, hash) => signHead(key, id, hash));
    await knex.migrate.latest({ migrationSource: before0006, tableName: 'mg_migrations' });
  });
  afterAll(async () => {
    await knex.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every entry, its indexes and a verifiable chain, and appends go on from the head', async () => {
    expect(await tableSql()).toMatch(/^CREATE TABLE [`"]mg_audit[`"] \(`id` bigint,/);
    expect(await indexes()).toEqual(['mg_audit_subject_index', 'mg_audit_ts_index', 'sqlite_autoindex_mg_audit_1']);
    const log = newLog();
    for (let i = 1; i <= 40; i++) await log.record(entry(i));
    const written = await rows();
    expect(written).toHaveLength(40);
    expect(await verify()).toMatchObject({ ok: true, entries: 40, firstBroken: null });

    await knex.migrate.latest({ migrationSource: stateMigrations, tableName: 'mg_migrations' });
    expect(await tableSql()).toMatch(/^CREATE TABLE [`"]mg_audit[`"] \(`id` integer,/);
    expect(await indexes()).toEqual(['mg_audit_subject_index', 'mg_audit_ts_index']); // no separate index for the id
    expect(await rows()).toEqual(written);
    const rowids = await knex.raw('select rowid as r, id from mg_audit');
    expect(rowids.every((x: { r: number; id: number }) => x.r === x.id)).toBe(true);
    expect(await verify()).toMatchObject({ ok: true, entries: 40, firstBroken: null });

    const again = newLog();
    expect(await again.record(entry(41))).toBe(41);
    expect(await verify()).toMatchObject({ ok: true, entries: 41, firstBroken: null });
    // The id is still the key: a second row at an existing id is refused.
    const dup = await knex('mg_audit').insert({ ...written[0] }).then((r) => ({ ok: r }), (e: Error) => ({ err: e.message }));
    expect(dup).toEqual({ err: expect.stringMatching(/UNIQUE|PRIMARY/i) });
  });

  it('rolls back to the bigint key with the same rows', async () => {
    const now = await rows();
    await knex.migrate.down({ migrationSource: stateMigrations, tableName: 'mg_migrations' });
    expect(await tableSql()).toMatch(/^CREATE TABLE [`"]mg_audit[`"] \(`id` bigint,/);
    expect(await indexes()).toEqual(['mg_audit_subject_index', 'mg_audit_ts_index', 'sqlite_autoindex_mg_audit_1']);
    expect(await rows()).toEqual(now);
    expect(await verify()).toMatchObject({ ok: true, entries: 41, firstBroken: null });
    await knex.migrate.latest({ migrationSource: stateMigrations, tableName: 'mg_migrations' });
    expect(await tableSql()).toMatch(/^CREATE TABLE [`"]mg_audit[`"] \(`id` integer,/);
  });

  it('fails, and leaves the table as it was, when mg_audit is not the table it knows', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-rowid-'));
    const db = knexFactory(sqliteConnection(path.join(other, 'state.sqlite')));
    try {
      await db.migrate.latest({ migrationSource: before0006, tableName: 'mg_migrations' });
      await db.raw('DROP TABLE `mg_audit`');
      await db.raw('CREATE TABLE `mg_audit` (`id` text, `ts` bigint not null, primary key (`id`))');
      await expect(db.migrate.latest({ migrationSource: stateMigrations, tableName: 'mg_migrations' })).rejects.toThrow(/not the table this migration knows/);
      expect((await db('sqlite_master').where({ type: 'table', name: 'mg_audit' }).first('sql')).sql).toMatch(/\(`id` text,/);
      expect(await db('mg_migrations').pluck('name')).not.toContain('0006_audit_rowid');
    } finally {
      await db.destroy();
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
