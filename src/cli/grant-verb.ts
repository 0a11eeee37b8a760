// `meshguard grant --subject <s> --role <r> [--domain <d>] [--expires <iso>] --reason <text>`: grants a
// role from the gateway host through the same use case as POST /v1/grants (grants/grant-commands.ts),
// audited as cli:<os user>.
import { parseArgs } from 'node:util';
import { grantRole } from '../grants/grant-commands';
import { UsageError, type CliVerb } from './cli-verb';
import { cliChange, printJson, withSession } from './cli-session';

export const grantVerb: CliVerb = {
  usage: 'grant --subject <s> --role <r> [--domain <d>] [--expires <iso>] --reason <text>   grant a role (audited as cli:<you>)',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { subject: { type: 'string' }, role: { type: 'string' }, domain: { type: 'string' }, expires: { type: 'string' }, reason: { type: 'string' } } });
    if (!v.subject || !v.role) throw new UsageError('grant needs --subject, --role and --reason');
    const input = { subject: v.subject, role: v.role, domain: v.domain, expiresAt: v.expires, reason: v.reason };
    return withSession(config, async (s) => {
      printJson(await cliChange(s, (actor, trx) => grantRole(s.deps, actor, input, trx)));
      return 0;
    });
  },
};
