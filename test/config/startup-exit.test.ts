// `npm start` with bad configuration: one line naming the variable and the problem, exit status 2,
// no stack trace. Runs the real entry point (src/main.ts) as a child process.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/test-gateway';

const REGISTER = path.join(ROOT, 'test', 'helpers', 'swc-register.js');
const MAIN = path.join(ROOT, 'src', 'main.ts');

function start(env: Record<string, string>) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-exit-'));
  try {
    const base: Record<string, string> = { PATH: process.env.PATH ?? '', MESHGUARD_DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0' };
    return spawnSync(process.execPath, ['-r', REGISTER, MAIN], { env: { ...base, ...env }, encoding: 'utf8', timeout: 30_000 });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

describe('start-up with bad configuration', () => {
  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['MESHGUARD_STATE_URL', { MESHGUARD_STATE_URL: 'mysql://nowhere' }],
    ['MESHGUARD_JWT_PUBLIC_KEY_FILE', { MESHGUARD_JWT_PUBLIC_KEY_FILE: '/nonexistent/key.pem' }],
    ['MESHGUARD_JWT_SECRET', { NODE_ENV: 'production' }],
  ])('%s: one line naming it, exit 2', (name, env) => {
    const r = start(env);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});
