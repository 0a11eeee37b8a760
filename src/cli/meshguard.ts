#!/usr/bin/env node
// The operators' command line: `meshguard <verb> [options]`, on the gateway host's configuration.
// Each verb lives in its own file; add it to VERBS below.
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { UsageError, type CliVerb } from './cli-verb';

// Verbs are loaded when named, so `meshguard token` does not pay for loading the database drivers.
const VERBS = new Map<string, () => CliVerb>([
  ['token', () => (require('./token-verb') as typeof import('./token-verb')).tokenVerb],
  ['audit-verify', () => (require('./audit-verify-verb') as typeof import('./audit-verify-verb')).auditVerifyVerb],
  ['audit-prune', () => (require('./audit-prune-verb') as typeof import('./audit-prune-verb')).auditPruneVerb],
  ['grant', () => (require('./grant-verb') as typeof import('./grant-verb')).grantVerb],
  ['revoke', () => (require('./revoke-verb') as typeof import('./revoke-verb')).revokeVerb],
  ['renew', () => (require('./renew-verb') as typeof import('./renew-verb')).renewVerb],
  ['grants', () => (require('./grants-verb') as typeof import('./grants-verb')).grantsVerb],
  ['explain', () => (require('./explain-verb') as typeof import('./explain-verb')).explainVerb],
  ['suspend', () => (require('./subject-verbs') as typeof import('./subject-verbs')).suspendVerb],
  ['resume', () => (require('./subject-verbs') as typeof import('./subject-verbs')).resumeVerb],
  ['revoke-token', () => (require('./subject-verbs') as typeof import('./subject-verbs')).revokeTokenVerb],
  ['policy-check', () => (require('./policy-check-verb') as typeof import('./policy-check-verb')).policyCheckVerb],
]);

const HELP = new Set(['--help', '-h', 'help']);

function usage(): string {
  return `usage: meshguard <verb> [options]\n${[...VERBS.values()].map((load) => `  ${load().usage}`).join('\n')}\n`;
}

async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== undefined && HELP.has(verb)) {
    process.stdout.write(usage());
    return 0;
  }
  const command = verb === undefined ? undefined : VERBS.get(verb)?.();
  if (!command) throw new UsageError(verb ? `unknown verb ${verb}` : 'no verb given');
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: meshguard ${command.usage}\n`);
    return 0;
  }
  return command.run(rest, loadConfig());
}

// A reader that stops early (`meshguard policy-check | head -1`) closes the pipe: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) process.stderr.write(`meshguard: ${e.message}\n${usage()}`);
    else if (e instanceof ConfigError) process.stderr.write(`meshguard: ${e.message}\n`);
    else process.stderr.write(`meshguard: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
