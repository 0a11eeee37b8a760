// `npm start` with bad configuration (a bad variable, a port in use): one line naming the variable and
// the problem, exit status 2, no stack trace, no banner. Runs the real entry point (src/main.ts) as a
// child process.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
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

describe('start-up and the listening port', () => {
  it('a port in use: one line on stderr that suggests PORT=, exit 2, no banner', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as AddressInfo).port);
    try {
      // No key configured: the demo banner would be printed if the gateway thought it was listening.
      const r = start({ PORT: port });
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^meshguard: cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use.*PORT=`));
      expect(r.stdout).toBe('');
    } finally {
      taken.close();
    }
  });

  it('the banner comes once the gateway listens, and names the port it really got', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-banner-'));
    const child = spawn(process.execPath, ['-r', REGISTER, MAIN], {
      env: { PATH: process.env.PATH ?? '', MESHGUARD_DATA_DIR: dataDir, LOG_LEVEL: 'silent', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /meshguard serves the demo data mesh on (http:\/\/127\.0\.0\.1:(\d+))\n/.exec(out);
          if (m) resolve(m[1]);
        });
        child.on('exit', (code) => reject(new Error(`gateway exited with ${code} before its banner`)));
      });
      expect(url).not.toMatch(/:0$/);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
