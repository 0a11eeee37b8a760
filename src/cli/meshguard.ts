#!/usr/bin/env node
// The operators' command line: `meshguard <verb> [options]`, on the gateway host's configuration.
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { mintToken } from './mint-token';

const USAGE = `usage: meshguard <verb> [options]
  token --sub <subject> [--ttl <seconds>]   mint a token with the configured HS256 (or dev) secret`;

async function run(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  const config = loadConfig();
  switch (verb) {
    case 'token': {
      const { values } = parseArgs({ args: rest, options: { sub: { type: 'string' }, ttl: { type: 'string', default: '3600' } } });
      if (!values.sub) throw new UsageError('token needs --sub <subject>');
      const ttl = Number(values.ttl);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86400) throw new UsageError('--ttl is a number of seconds, 1 to 86400');
      process.stdout.write(`${mintToken(config, values.sub, ttl)}\n`);
      return 0;
    }
    default:
      throw new UsageError(verb ? `unknown verb ${verb}` : 'no verb given');
  }
}

class UsageError extends Error {}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) process.stderr.write(`meshguard: ${e.message}\n${USAGE}\n`);
    else if (e instanceof ConfigError) process.stderr.write(`meshguard: ${e.message}\n`);
    else process.stderr.write(`meshguard: ${(e as Error).message}\n`);
    process.exit(2);
  },
);
