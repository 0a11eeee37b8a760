// `meshguard audit-prune --before <date>`: retention. Verifies the entries older than the date,
// writes a checkpoint signed with the data dir's Ed25519 key, deletes them, and audits the prune.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { AuditLog } from '../audit/audit-log';
import { parseInstant } from '../audit/audit-query';
import { ensureSigningKey, signHead } from '../audit/signing-key';
import { PruneRefused, pruneAudit } from '../audit/prune-audit';
import { systemClock } from '../clock';
import { loadPolicies } from '../policy/load-policies';
import { openState } from '../state/open-state';
import { UsageError, type CliVerb } from './cli-verb';

/** Who ran the prune, as the operating system knows them (the entry's subject). */
function operator(): string {
  try {
    return os.userInfo().username;
  } catch {
    return `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

export const auditPruneVerb: CliVerb = {
  usage: 'audit-prune --before <date>                delete audit entries older than the date, keeping a signed checkpoint',
  async run(args, config) {
    const { values } = parseArgs({ args, options: { before: { type: 'string' } } });
    if (!values.before) throw new UsageError('audit-prune needs --before <date> (for example 2026-01-01)');
    const at = parseInstant(values.before);
    if (at === undefined) throw new UsageError('--before is an ISO 8601 date (UTC) or date-time with Z or an offset, for example 2026-01-01');
    const before = new Date(at);
    const now = systemClock.now();
    if (before.getTime() > now.getTime()) throw new UsageError('--before is in the future: nothing that recent may be pruned');
    let policyVersion: string | null = null;
    try {
      policyVersion = loadPolicies(config.policiesDir).version;
    } catch {
      // The prune does not depend on the policies; the entry just carries no version then.
    }
    const key = ensureSigningKey(config.dataDir);
    const state = await openState(config);
    try {
      const audit = new AuditLog(state.knex, state.dialect, 1, (id, hash) => signHead(key, id, hash));
      const result = await pruneAudit({ knex: state.knex, dialect: state.dialect, audit, key, policyVersion }, before, now, `cli:${operator()}`);
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    } catch (e) {
      if (e instanceof PruneRefused) {
        process.stderr.write(`meshguard: ${e.message}\n`);
        return 1;
      }
      throw e;
    } finally {
      await state.knex.destroy();
    }
  },
};
