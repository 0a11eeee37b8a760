// The demo seed (demo grants, dana the admin among them) goes only into the embedded SQLite state, or
// where MESHGUARD_SEED_DEMO=true asks for it: never into a MESHGUARD_STATE_URL store by default, even
// with NODE_ENV unset and the demo stores already seeded in the data dir.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import knexFactory from 'knex';
import pino from 'pino';
import request from 'supertest';
import { loadConfig } from '../../src/config';
import { openGateway } from '../../src/gateway';
import { bearer, PG_URL, POLICIES } from '../helpers/test-gateway';

const SECRET = crypto.randomBytes(32).toString('hex');

/** Starts the real gateway on `dataDir` (bundled policies: SQLite stores in the data dir), as `npm start`
 *  would with NODE_ENV unset, and returns the grants `dana` holds there. */
async function danaGrants(dataDir: string, env: Record<string, string>): Promise<{ role: string }[]> {
  const config = loadConfig({ MESHGUARD_DATA_DIR: dataDir, MESHGUARD_POLICIES_DIR: POLICIES, MESHGUARD_JWT_SECRET: SECRET, ...env }, dataDir);
  const gw = await openGateway(config, { logger: pino({ level: 'silent' }) });
  try {
    const now = Math.floor(Date.now() / 1000);
    const token = jwt.sign({ sub: 'dana', iat: now, exp: now + 600 }, SECRET, { algorithm: 'HS256' });
    const res = await request(gw.app).get('/v1/me').set(bearer(token));
    expect(res.status).toBe(200);
    return res.body.grants;
  } finally {
    await gw.close();
  }
}

describe('demo seed', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-seed-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('is on by default for the embedded state only; MESHGUARD_SEED_DEMO decides when set', () => {
    expect(loadConfig({}).seedDemo).toBe(true);
    expect(loadConfig({ MESHGUARD_STATE_URL: 'postgres://db/x' }).seedDemo).toBe(false);
    expect(loadConfig({ MESHGUARD_STATE_URL: 'postgres://db/x', MESHGUARD_SEED_DEMO: 'true' }).seedDemo).toBe(true);
    expect(loadConfig({ MESHGUARD_SEED_DEMO: 'false' }).seedDemo).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', MESHGUARD_JWT_SECRET: SECRET }).seedDemo).toBe(false);
  });

  it('seeds the demo grants into the embedded SQLite state of a first start', async () => {
    expect(await danaGrants(dataDir, {})).toEqual([expect.objectContaining({ role: 'admin' })]);
  });

  (PG_URL ? describe : describe.skip)('on a PostgreSQL state store (MESHGUARD_STATE_URL)', () => {
    const schema = `mgseed_${crypto.randomBytes(5).toString('hex')}`;
    const pgState = { MESHGUARD_STATE_URL: PG_URL!, MESHGUARD_STATE_SCHEMA: schema };
    afterAll(async () => {
      const admin = knexFactory({ client: 'pg', connection: PG_URL });
      try {
        await admin.raw('drop schema if exists ?? cascade', [schema]);
      } finally {
        await admin.destroy();
      }
    });

    it('seeds no demo grant by default, though the demo stores exist in the data dir', async () => {
      expect(fs.existsSync(path.join(dataDir, 'stores', 'sales.sqlite'))).toBe(true);
      expect(await danaGrants(dataDir, pgState)).toEqual([]);
      const admin = knexFactory({ client: 'pg', connection: PG_URL, searchPath: [schema] });
      try {
        expect(await admin('mg_grants').count({ n: '*' })).toEqual([{ n: '0' }]);
        expect(await admin('mg_meta').where({ key: 'demo_grants_seeded' })).toEqual([]);
      } finally {
        await admin.destroy();
      }
    });

    it('seeds them when MESHGUARD_SEED_DEMO=true asks for it', async () => {
      expect(await danaGrants(dataDir, { ...pgState, MESHGUARD_SEED_DEMO: 'true' })).toEqual([expect.objectContaining({ role: 'admin' })]);
    });
  });
});
