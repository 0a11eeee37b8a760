// `meshguard grant --subject <s> --role <r> [--domain <d>] [--expires <iso>] --reason <text>`: grants a
// role from the gateway host, under the same rules as POST /v1/grants (expiry bound, no self-grant),
// audited as cli:<os user>.
import { parseArgs } from 'node:util';
import { fail } from '../errors';
import { planNewGrant } from '../grants/grant-changes';
import { UsageError, type CliVerb } from './cli-verb';
import { auditCli, printJson, withSession } from './cli-session';

export const grantVerb: CliVerb = {
  usage: 'grant --subject <s> --role <r> [--domain <d>] [--expires <iso>] --reason <text>   grant a role (audited as cli:<you>)',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { subject: { type: 'string' }, role: { type: 'string' }, domain: { type: 'string' }, expires: { type: 'string' }, reason: { type: 'string' } } });
    if (!v.subject || !v.role || !v.reason?.trim()) throw new UsageError('grant needs --subject, --role and --reason');
    return withSession(config, async (s) => {
      const now = s.deps.clock.now();
      const { role, domain, expiresAt } = planNewGrant(s.deps.policies, { role: v.role!, domain: v.domain, expiresAt: v.expires }, now);
      if (v.subject === s.user || v.subject === s.operator) throw fail('self_grant', 'nobody can grant a role to themselves');
      const grant = await s.deps.state.knex.transaction(async (trx) => {
        const g = await s.deps.grants.create({ subject: v.subject!, role: role.name, domain, reason: v.reason!, createdBy: s.operator, expiresAt }, now, trx);
        await auditCli(s, { action: 'grant', resource: `grant:${g.id}`, reason: v.reason!, status: 201, details: { before: null, after: g, reason: v.reason } }, trx);
        return g;
      });
      printJson(grant);
      return 0;
    });
  },
};
