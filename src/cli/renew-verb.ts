// `meshguard renew --id <grant> [--expires <iso>] --reason <text>`: renews a grant within its role's
// maxGrantDays (the default) through the same use case as POST /v1/grants/:id/renew; audited.
import { parseArgs } from 'node:util';
import { renewGrant } from '../grants/grant-commands';
import { UsageError, type CliVerb } from './cli-verb';
import { cliChange, printJson, withSession } from './cli-session';

export const renewVerb: CliVerb = {
  usage: 'renew --id <grant id> [--expires <iso>] --reason <text>   renew a grant within its role bound',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { id: { type: 'string' }, expires: { type: 'string' }, reason: { type: 'string' } } });
    if (!v.id) throw new UsageError('renew needs --id and --reason');
    const input = { id: v.id, expiresAt: v.expires, reason: v.reason };
    return withSession(config, async (s) => {
      printJson(await cliChange(s, (actor, trx) => renewGrant(s.deps, actor, input, trx)));
      return 0;
    });
  },
};
