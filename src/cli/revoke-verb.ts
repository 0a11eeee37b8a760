// `meshguard revoke --id <grant> --reason <text>`: revokes a grant from the gateway host (never the
// last admin grant), effective on the next request of every gateway process; audited as cli:<os user>.
import { parseArgs } from 'node:util';
import { fail } from '../errors';
import { assertAdminRemains } from '../grants/grant-changes';
import { UsageError, type CliVerb } from './cli-verb';
import { auditCli, printJson, withSession } from './cli-session';

export const revokeVerb: CliVerb = {
  usage: 'revoke --id <grant id> --reason <text>   revoke a grant',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { id: { type: 'string' }, reason: { type: 'string' } } });
    if (!v.id || !v.reason?.trim()) throw new UsageError('revoke needs --id and --reason');
    return withSession(config, async (s) => {
      const now = s.deps.clock.now();
      const after = await s.deps.state.knex.transaction(async (trx) => {
        const before = await s.deps.grants.get(v.id!, trx);
        if (!before || before.revokedAt) throw fail('grant_not_found', `no active grant ${v.id}`);
        await assertAdminRemains(s.deps, { revoking: [before] }, now, trx);
        const a = await s.deps.grants.revoke(before.id, s.operator, v.reason!, now, trx);
        await auditCli(s, { action: 'revoke', resource: `grant:${before.id}`, reason: v.reason!, status: 204, details: { before, after: a, reason: v.reason } }, trx);
        return a;
      });
      printJson(after);
      return 0;
    });
  },
};
