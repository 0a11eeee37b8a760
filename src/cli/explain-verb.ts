// `meshguard explain --subject <s> --action <read|insert|update|read_metrics> --domain <d> --dataset <ds> [--columns a,b]`:
// the decision the gateway would take now, through the same use case as GET /v1/explain; audited.
import { parseArgs } from 'node:util';
import { DATA_ACTIONS, METRIC_ACTIONS, type DataAction, type MetricAction } from '../policy/policy-schema';
import { explainFor } from '../query/explain-subject';
import { UsageError, type CliVerb } from './cli-verb';
import { auditCli, operatorActor, printJson, withSession } from './cli-session';

export const explainVerb: CliVerb = {
  usage: 'explain --subject <s> --action <read|insert|update|read_metrics> --domain <d> --dataset <ds> [--columns a,b]   explain a decision',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { subject: { type: 'string' }, action: { type: 'string' }, domain: { type: 'string' }, dataset: { type: 'string' }, columns: { type: 'string' } } });
    if (!v.subject || !v.action || !v.domain || !v.dataset) throw new UsageError('explain needs --subject, --action, --domain and --dataset');
    const actions: readonly string[] = [...DATA_ACTIONS, ...METRIC_ACTIONS];
    if (!actions.includes(v.action)) throw new UsageError(`--action is one of ${actions.join(', ')}`);
    const input = { subject: v.subject, action: v.action as DataAction | MetricAction, domain: v.domain, dataset: v.dataset, columns: v.columns?.split(',').map((c) => c.trim()) };
    return withSession(config, async (s) => {
      const { body, audit } = await explainFor(s.deps, operatorActor(s), input);
      await auditCli(s, { action: 'explain', status: 200, ...audit });
      printJson(body);
      return 0;
    });
  },
};
