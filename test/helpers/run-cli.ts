// Runs the operators' CLI (`meshguard <verb> ...`) as a real child process from the TypeScript
// sources (no build step), with only PATH and the given environment.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './test-gateway';

export function cli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(ROOT, 'test/helpers/run-ts.js'), path.join(ROOT, 'src/cli/meshguard.ts'), ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
