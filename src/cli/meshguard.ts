#!/usr/bin/env node
// The operators' command line: `meshguard <verb> [options]`, on the gateway host's configuration.
// Each verb lives in its own file; add it to VERBS below.
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { UsageError, type CliVerb } from './cli-verb';
import { explainVerb } from './explain-verb';
import { grantVerb } from './grant-verb';
import { grantsVerb } from './grants-verb';
import { policyCheckVerb } from './policy-check-verb';
import { renewVerb } from './renew-verb';
import { revokeVerb } from './revoke-verb';
import { resumeVerb, revokeTokenVerb, suspendVerb } from './subject-verbs';
import { tokenVerb } from './token-verb';
import { auditPruneVerb } from './audit-prune-verb';
import { auditVerifyVerb } from './audit-verify-verb';

const VERBS: Record<string, CliVerb> = {
  token: tokenVerb,
  'audit-verify': auditVerifyVerb,
  'audit-prune': auditPruneVerb,
  grant: grantVerb,
  revoke: revokeVerb,
  renew: renewVerb,
  grants: grantsVerb,
  explain: explainVerb,
  suspend: suspendVerb,
  resume: resumeVerb,
  'revoke-token': revokeTokenVerb,
  'policy-check': policyCheckVerb,
};

const USAGE = `usage: meshguard <verb> [options]\n${Object.entries(VERBS)
  .map(([, v]) => `  ${v.usage}`)
  .join('\n')}`;

async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const command = verb ? VERBS[verb] : undefined;
  if (!command) throw new UsageError(verb ? `unknown verb ${verb}` : 'no verb given');
  return command.run(rest, loadConfig());
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) process.stderr.write(`meshguard: ${e.message}\n${USAGE}\n`);
    else if (e instanceof ConfigError) process.stderr.write(`meshguard: ${e.message}\n`);
    else process.stderr.write(`meshguard: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
