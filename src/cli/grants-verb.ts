// `meshguard grants [--subject <s>] [--domain <d>] [--all] [--json]`: lists grants on the host's state
// store (active ones unless --all), one line each, or as JSON; the listing is audited.
import { parseArgs } from 'node:util';
import type { CliVerb } from './cli-verb';
import { auditCli, printJson, withSession } from './cli-session';

export const grantsVerb: CliVerb = {
  usage: 'grants [--subject <s>] [--domain <d>] [--all] [--json]   list grants',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { subject: { type: 'string' }, domain: { type: 'string' }, all: { type: 'boolean' }, json: { type: 'boolean' } } });
    return withSession(config, async (s) => {
      const now = s.deps.clock.now().getTime();
      const grants = (await s.deps.grants.list({ subject: v.subject, domain: v.domain, includeRevoked: v.all })).filter(
        (g) => v.all || !g.expiresAt || Date.parse(g.expiresAt) > now,
      );
      await auditCli(s, { action: 'list_grants', resource: null, reason: 'cli grants', status: 200, rowCount: grants.length });
      if (v.json) printJson({ grants });
      else {
        for (const g of grants) {
          const state = g.revokedAt ? `revoked ${g.revokedAt}` : g.expiresAt && Date.parse(g.expiresAt) <= now ? `expired ${g.expiresAt}` : `until ${g.expiresAt ?? 'never'}`;
          process.stdout.write(`${g.id}  ${g.subject}  ${g.role}@${g.domain}  ${state}  last used ${g.lastUsedAt ?? 'never'}  (${g.reason})\n`);
        }
      }
      return 0;
    });
  },
};
