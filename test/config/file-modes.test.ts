// The data dir holds salaries, grants, the audit log and the keys: after a gateway has started and
// served a write, every directory the gateway made under it is 0700 and every file 0600 (the SQLite
// WAL and SHM files too), whatever the umask; files and directories left by an earlier run with
// looser modes are brought to those modes at start. Every backend.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

/** Every entry under `dir` (and `dir` itself) as [relative path, mode, wanted mode]. An entry that
 *  goes while it is listed (the witness's temporary file, renamed over the witness) is skipped. */
function modes(dir: string): [string, string, string][] {
  const out: [string, string, string][] = [];
  const add = (p: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    out.push([path.relative(dir, p) || '.', (st.mode & 0o777).toString(8), st.isDirectory() ? '700' : '600']);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) add(path.join(p, name));
  };
  add(dir);
  return out;
}

const wanted = (entries: [string, string, string][]) => entries.map(([p, , want]) => [p, want, want]);

describe.each(BACKENDS)('data dir file modes on $name', ({ pg }) => {
  let gw: TestGateway;
  let dataDir: string;
  const umask = process.umask();

  beforeAll(async () => {
    process.umask(0o022); // the common default, which would make new files 0644
    // A data dir the gateway creates itself (the test helper's temporary dir would already be 0700).
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mg-modes-')), 'data');
    gw = await startTestGateway({ pg, env: { MESHGUARD_DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    await gw.close();
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
    process.umask(umask);
  });

  it('makes the data dir 0700 and every file in it 0600, WAL and SHM files included', async () => {
    const w = await gw
      .http()
      .post('/v1/datasets/sales/orders/rows')
      .set(bearer(gw.token('bob')))
      .send({ rows: [{ id: 990001, customer_id: 7, region: 'EU', amount: 1, status: 'pending', created_at: '2026-03-01T10:00:00Z' }] });
    expect(w.status).toBe(201);
    for (let i = 0; i < 50 && !fs.existsSync(path.join(dataDir, 'audit-witness')); i++) await new Promise((r) => setTimeout(r, 100));
    const found = modes(dataDir);
    const names = found.map(([p]) => p);
    expect(names).toEqual(expect.arrayContaining(['mask-key', 'audit-signing-key', 'audit-witness']));
    if (!pg) expect(names).toEqual(expect.arrayContaining(['meshguard.sqlite', 'meshguard.sqlite-wal', 'meshguard.sqlite-shm', 'stores', path.join('stores', 'sales.sqlite'), path.join('stores', 'sales.sqlite-wal')]));
    expect(found).toEqual(wanted(found));
  });

  if (!pg) {
    it('brings files and directories left with looser modes to 0600 and 0700 when it starts', async () => {
      await gw.close();
      for (const [p, , want] of modes(dataDir)) fs.chmodSync(path.join(dataDir, p), want === '700' ? 0o755 : 0o644);
      gw = await startTestGateway({ pg, env: { MESHGUARD_DATA_DIR: dataDir } });
      expect((await gw.http().get('/v1/me').set(bearer(gw.token('alice')))).status).toBe(200);
      const found = modes(dataDir);
      expect(found).toEqual(wanted(found));
    });
  }
});
