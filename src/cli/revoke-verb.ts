// `meshguard revoke --id <grant> --reason <text>`: revokes a grant from the gateway host through the same
// use case as DELETE /v1/grants/:id (never the last admin grant), effective on the next request of every
// gateway process; audited as cli:<os user>.
import { parseArgs } from 'node:util';
import { revokeGrant } from '../grants/grant-commands';
import { UsageError, type CliVerb } from './cli-verb';
import { cliChange, printJson, withSession } from './cli-session';

export const revokeVerb: CliVerb = {
  usage: 'revoke --id <grant id> --reason <text>   revoke a grant',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { id: { type: 'string' }, reason: { type: 'string' } } });
    if (!v.id) throw new UsageError('revoke needs --id and --reason');
    const input = { id: v.id, reason: v.reason };
    return withSession(config, async (s) => {
      printJson(await cliChange(s, (actor, trx) => revokeGrant(s.deps, actor, input, trx)));
      return 0;
    });
  },
};
