// The data dir holds salaries, grants, the audit log and the keys: after a gateway has started and
// served a write, every directory the gateway made under it is 0700 and every file 0600 (the SQLite
// WAL and SHM files too), whatever the umask; files and directories left by an earlier run with
// looser modes are brought to those modes at start. Every backend.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BACKENDS, bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

/** Every entry under `dir` with its permission bits, as [relative path, mode] pairs. */
function modes(dir: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      const st = fs.lstatSync(p);
      out.push([path.relative(dir, p), (st.mode & 0o777).toString(8)]);
      if (st.isDirectory()) walk(p);
    }
  };
  out.push(['.', (fs.statSync(dir).mode & 0o777).toString(8)]);
  walk(dir);
  return out;
}

const wanted = (dir: string) => (entries: [string, string][]) =>
  entries.map(([p]) => [p, fs.lstatSync(path.join(dir, p)).isDirectory() ? '700' : '600']);

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
    const found = modes(dataDir);
    const names = found.map(([p]) => p);
    expect(names).toEqual(expect.arrayContaining(['mask-key', 'audit-signing-key']));
    if (!pg) expect(names).toEqual(expect.arrayContaining(['meshguard.sqlite', 'meshguard.sqlite-wal', 'meshguard.sqlite-shm', 'stores', path.join('stores', 'sales.sqlite'), path.join('stores', 'sales.sqlite-wal')]));
    expect(found).toEqual(wanted(dataDir)(found));
  });

  if (!pg) {
    it('brings files and directories left with looser modes to 0600 and 0700 when it starts', async () => {
      await gw.close();
      for (const [p] of modes(dataDir)) fs.chmodSync(path.join(dataDir, p), fs.statSync(path.join(dataDir, p)).isDirectory() ? 0o755 : 0o644);
      gw = await startTestGateway({ pg, env: { MESHGUARD_DATA_DIR: dataDir } });
      expect((await gw.http().get('/v1/me').set(bearer(gw.token('alice')))).status).toBe(200);
      const found = modes(dataDir);
      expect(found).toEqual(wanted(dataDir)(found));
    });
  }
});
