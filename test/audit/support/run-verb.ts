// Runs a CLI verb in-process against a test gateway's configuration; returns its exit status and
// what it printed (stdout and stderr).
import { loadConfig } from '../../../src/config';
import type { CliVerb } from '../../../src/cli/cli-verb';
import type { TestGateway } from '../../helpers/test-gateway';

export async function runVerb(gw: TestGateway, verb: CliVerb, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out += String(s);
    return true;
  });
  const errSpy = jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    err += String(s);
    return true;
  });
  try {
    const code = await verb.run(args, loadConfig(gw.env, gw.dataDir));
    return { code, out, err };
  } finally {
    spy.mockRestore();
    errSpy.mockRestore();
  }
}
