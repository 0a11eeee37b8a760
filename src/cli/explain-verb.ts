// `meshguard explain --subject <s> --action <read|insert|update> --domain <d> --dataset <ds> [--columns a,b]`:
// the decision the gateway would take now, through the same code as GET /v1/explain; audited.
import { parseArgs } from 'node:util';
import { fail } from '../errors';
import { DATA_ACTIONS, type DataAction } from '../policy/policy-schema';
import { explainDecision, withSuspension } from '../query/explain-decision';
import { UsageError, type CliVerb } from './cli-verb';
import { auditCli, printJson, withSession } from './cli-session';

export const explainVerb: CliVerb = {
  usage: 'explain --subject <s> --action <read|insert|update> --domain <d> --dataset <ds> [--columns a,b]   explain a decision',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { subject: { type: 'string' }, action: { type: 'string' }, domain: { type: 'string' }, dataset: { type: 'string' }, columns: { type: 'string' } } });
    if (!v.subject || !v.action || !v.domain || !v.dataset) throw new UsageError('explain needs --subject, --action, --domain and --dataset');
    if (!(DATA_ACTIONS as readonly string[]).includes(v.action)) throw new UsageError(`--action is one of ${DATA_ACTIONS.join(', ')}`);
    return withSession(config, async (s) => {
      const ds = s.deps.policies.datasets.get(`${v.domain}.${v.dataset}`);
      if (!ds) throw fail('dataset_not_found', `no dataset ${v.domain}.${v.dataset}`);
      const columns = v.columns?.split(',').map((c) => c.trim());
      for (const c of columns ?? []) if (!ds.columns[c]) throw fail('unknown_column', `${ds.key} has no column ${c}`);
      const target = await s.deps.access.forSubject(v.subject!);
      const ex = explainDecision(s.deps.policies, target.grants, target.ability, ds, v.action as DataAction, columns, s.deps.stores.get(ds.store)!.dialect);
      const out = withSuspension(ex, v.subject!, target.suspended);
      await auditCli(s, { action: 'explain', resource: ds.key, reason: `explain ${v.action} ${ds.key} for ${v.subject}`, status: 200, details: { subject: v.subject, decision: out.decision } });
      printJson({ subject: v.subject, action: v.action, domain: v.domain, dataset: v.dataset, ...out });
      return 0;
    });
  },
};
