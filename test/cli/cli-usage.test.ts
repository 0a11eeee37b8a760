// The command line as a user meets it: help on request (exit 0, usage on stdout), and a reader that
// stops early (`meshguard policy-check | head -1`) ends the CLI quietly instead of crashing on EPIPE.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { POLICIES, ROOT } from '../helpers/test-gateway';

const CLI = [path.join(ROOT, 'test/helpers/run-ts.js'), path.join(ROOT, 'src/cli/meshguard.ts')];
const ENV = { PATH: process.env.PATH ?? '', MESHGUARD_POLICIES_DIR: POLICIES };

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI, ...args], { env: ENV }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('meshguard help', () => {
  it.each([['--help'], ['-h'], ['help']])('%s prints the usage of every verb on stdout and exits 0', async (flag) => {
    const r = await cli(flag);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: meshguard <verb> \[options\]\n/);
    for (const verb of ['token', 'audit-verify', 'audit-prune', 'grant', 'revoke', 'renew', 'grants', 'explain', 'policy-check']) expect(r.stdout).toContain(`\n  ${verb}`);
  });

  it('<verb> --help prints that verb\'s usage and runs nothing', async () => {
    const r = await cli('token', '--help');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^usage: meshguard token --sub <subject>/);
  });

  it('a wrong verb is still a usage error (exit 2, usage on stderr), including a name Object.prototype has', async () => {
    for (const verb of ['nope', 'constructor', '__proto__']) {
      const r = await cli(verb);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^meshguard: unknown verb ${verb}\nusage: meshguard`));
    }
  });
});

describe('meshguard output into a closed pipe', () => {
  it('policy-check whose reader has gone exits 0 without a stack trace', async () => {
    const child = spawn(process.execPath, [...CLI, 'policy-check'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader goes away before the first line: every write of the CLI meets a closed pipe (EPIPE).
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
