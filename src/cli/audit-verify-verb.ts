// `meshguard audit-verify`: recomputes the audit hash chain in the configured state store and prints
// { ok, entries, firstBroken, problem? } (the head is also checked against the data dir's audit
// witness); exit status 0 when the chain is whole, 1 when it is broken (and what is wrong on stderr).
import { readSigningKey } from '../audit/signing-key';
import { verifyAudit } from '../audit/verify-chain';
import { openState } from '../state/open-state';
import { UsageError, type CliVerb } from './cli-verb';

export const auditVerifyVerb: CliVerb = {
  usage: 'audit-verify                               recompute the audit hash chain; exit 1 if it is broken',
  async run(args, config) {
    if (args.length) throw new UsageError(`audit-verify takes no arguments, got ${args.join(' ')}`);
    const state = await openState(config);
    try {
      const report = await verifyAudit(state.knex, readSigningKey(config.dataDir)?.publicKey, config.dataDir);
      process.stdout.write(`${JSON.stringify(report)}\n`);
      if (!report.ok) process.stderr.write(`meshguard: the audit chain is broken at entry ${report.firstBroken}: ${report.problem}\n`);
      return report.ok ? 0 : 1;
    } finally {
      await state.knex.destroy();
    }
  },
};
