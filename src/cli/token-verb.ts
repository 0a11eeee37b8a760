// `meshguard token --sub alice [--ttl 3600]`: mints a token with the configured HS256 (or dev) secret.
import { parseArgs } from 'node:util';
import { UsageError, type CliVerb } from './cli-verb';
import { mintToken } from './mint-token';

export const tokenVerb: CliVerb = {
  usage: 'token --sub <subject> [--ttl <seconds>]   mint a token with the configured HS256 (or dev) secret',
  async run(args, config) {
    const { values } = parseArgs({ args, options: { sub: { type: 'string' }, ttl: { type: 'string', default: '3600' } } });
    if (!values.sub) throw new UsageError('token needs --sub <subject>');
    const ttl = Number(values.ttl);
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > 86400) throw new UsageError('--ttl is a number of seconds, 1 to 86400');
    process.stdout.write(`${mintToken(config, values.sub, ttl)}\n`);
    return 0;
  },
};
