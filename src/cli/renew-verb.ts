// `meshguard renew --id <grant> [--expires <iso>] --reason <text>`: renews a grant within its role's
// maxGrantDays (the default), as POST /v1/grants/:id/renew does; old and new expiry are audited.
import { parseArgs } from 'node:util';
import { fail } from '../errors';
import { planRenewal } from '../grants/grant-changes';
import { UsageError, type CliVerb } from './cli-verb';
import { auditCli, printJson, withSession } from './cli-session';

export const renewVerb: CliVerb = {
  usage: 'renew --id <grant id> [--expires <iso>] --reason <text>   renew a grant within its role bound',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { id: { type: 'string' }, expires: { type: 'string' }, reason: { type: 'string' } } });
    if (!v.id || !v.reason?.trim()) throw new UsageError('renew needs --id and --reason');
    return withSession(config, async (s) => {
      const now = s.deps.clock.now();
      const after = await s.deps.state.knex.transaction(async (trx) => {
        const before = await s.deps.grants.get(v.id!, trx);
        if (!before || before.revokedAt) throw fail('grant_not_found', `no active grant ${v.id}`);
        if (before.subject === s.user || before.subject === s.operator) throw fail('self_grant', 'nobody can renew their own grant');
        const expiresAt = planRenewal(s.deps.policies, before, v.expires, now);
        const a = (await s.deps.grants.renew(before.id, expiresAt, trx))!;
        await auditCli(s, { action: 'renew', resource: `grant:${before.id}`, reason: v.reason!, status: 200, details: { before, after: a, oldExpiresAt: before.expiresAt, newExpiresAt: a.expiresAt, reason: v.reason } }, trx);
        return a;
      });
      printJson(after);
      return 0;
    });
  },
};
