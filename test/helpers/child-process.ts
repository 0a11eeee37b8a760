// Starts test/helpers/child-gateway.js as a separate gateway process on the environment it is given
// and waits for its "LISTENING <port>"; stops it with SIGTERM (which drains, as main.ts does).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface ChildGateway {
  child: ChildProcess;
  url: string;
  port: number;
  /** What the child wrote on stderr so far (its logs when LOG_LEVEL lets them through). */
  stderr(): string;
}

export function startChild(env: Record<string, string>): Promise<ChildGateway> {
  const child = spawn(process.execPath, [path.join(__dirname, 'child-gateway.js')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve({ child, url: `http://127.0.0.1:${m[1]}`, port: Number(m[1]), stderr: () => err });
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`child gateway exited with ${code}: ${err}`)));
  });
}

/** Resolves with the exit code once the child has exited (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const done = exited(child);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  return done;
}
