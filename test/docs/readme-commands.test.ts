// The README's quick start and persona examples still run: each shell block of "Quick start" (its
// `npm run -s token` and curl commands, as written) is run by bash against a real gateway, and the
// answers the README shows in its comments (`# {"inserted":1}`, `# 204`, `# 403`) must come back.
// Only the address changes: the README's http://127.0.0.1:8080 becomes the test gateway's port.
// `npm run token` runs for real (it builds dist/ first when the sources changed: hence the long timeout).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { listen, ROOT, startTestGateway, type TestGateway } from '../helpers/test-gateway';
import type http from 'node:http';

const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The unlabelled shell blocks between "## Quick start" and the pandas section, except `npm start` itself. */
function quickStartBlocks(): { persona: string; script: string }[] {
  const section = README.split('## Quick start')[1].split('### Reading a dataset into pandas')[0];
  const blocks: { persona: string; script: string }[] = [];
  for (const m of section.matchAll(/(?:^|\n)([^\n]*)\n\n```\n([\s\S]*?)```/g)) {
    if (/npm (install|start)/.test(m[2])) continue;
    blocks.push({ persona: m[1].trim() || 'token', script: m[2] });
  }
  return blocks;
}

/** Runs a script with bash, asynchronously: the gateway it talks to runs in this process. */
function bash(script: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** What the README says the commands answer: JSON objects and status codes in `# ...` comments. */
function promised(script: string): string[] {
  const out: string[] = [];
  for (const m of script.matchAll(/#\s*(\{[^\n]*?\})(?=[:;]|\s*$)/gm)) {
    try {
      out.push(JSON.stringify(JSON.parse(m[1])));
    } catch {
      // an illustration with elisions ({"ok":true,"entries":..}), not an exact answer
    }
  }
  for (const m of script.matchAll(/#\s*(\d{3})\s*$/gm)) out.push(m[1]);
  return out;
}

describe('README quick start and persona examples', () => {
  let gw: TestGateway;
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    gw = await startTestGateway();
    const l = await listen(gw.app);
    server = l.server;
    base = `http://127.0.0.1:${l.port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await gw?.close();
  });

  test('there is one block per persona and a token command', () => {
    const blocks = quickStartBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const name of ['alice', 'bob', 'carol', 'dana', 'sam', 'erin']) expect(blocks.some((b) => b.script.includes(`--sub ${name}`))).toBe(true);
  });

  test.each(quickStartBlocks().map((b) => [b.persona.slice(0, 60), b.script]))('%s', async (_persona, script) => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...gw.env };
    const run = await bash(`${script.replaceAll('http://127.0.0.1:8080', base)}\necho; echo "TOKEN:\${TOKEN:+set}"`, env);
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('TOKEN:set');
    const answers = run.stdout.replace(/\s+/g, '');
    for (const p of promised(script)) expect(answers).toContain(p);
    // No answer in the examples is a problem document, but the ones the README says are refusals.
    const problems = [...run.stdout.matchAll(/\{"type":"urn:meshguard:problem:\w+","title":"[^"]*","status":(\d{3})/g)].map((m) => m[1]);
    for (const status of problems) expect(promised(script)).toContain(status);
  }, 240_000);
});
