// `meshguard suspend|resume --subject <s> --reason <text>` and
// `meshguard revoke-token (--jti <id> | --subject <s> --issued-before <iso>) --reason <text>`: the
// subject-wide changes from the gateway host, through the same use cases as POST /v1/subjects/:sub/*
// and POST /v1/revocations (grants/subject-commands.ts); audited as cli:<os user>.
import { parseArgs } from 'node:util';
import { resumeSubject, revokeTokens, suspendSubject } from '../grants/subject-commands';
import { UsageError, type CliVerb } from './cli-verb';
import { cliChange, printJson, withSession } from './cli-session';

function subjectVerb(verb: 'suspend' | 'resume', command: typeof suspendSubject): CliVerb {
  return {
    usage: `${verb} --subject <s> --reason <text>   ${verb} a subject on every gateway process`,
    async run(args, config) {
      const { values: v } = parseArgs({ args, options: { subject: { type: 'string' }, reason: { type: 'string' } } });
      if (!v.subject) throw new UsageError(`${verb} needs --subject and --reason`);
      const input = { subject: v.subject, reason: v.reason };
      return withSession(config, async (s) => {
        printJson(await cliChange(s, (actor, trx) => command(s.deps, actor, input, trx)));
        return 0;
      });
    },
  };
}

export const suspendVerb = subjectVerb('suspend', suspendSubject);
export const resumeVerb = subjectVerb('resume', resumeSubject);

export const revokeTokenVerb: CliVerb = {
  usage: 'revoke-token (--jti <id> | --subject <s> --issued-before <iso>) --reason <text>   revoke tokens',
  async run(args, config) {
    const { values: v } = parseArgs({ args, options: { jti: { type: 'string' }, subject: { type: 'string' }, 'issued-before': { type: 'string' }, reason: { type: 'string' } } });
    const byJti = v.jti !== undefined && v.subject === undefined && v['issued-before'] === undefined;
    const bySubject = v.jti === undefined && v.subject !== undefined && v['issued-before'] !== undefined;
    if (!byJti && !bySubject) throw new UsageError('revoke-token needs --jti, or --subject and --issued-before; and --reason');
    const input = byJti ? { jti: v.jti!, reason: v.reason } : { subject: v.subject!, issuedBefore: v['issued-before']!, reason: v.reason };
    return withSession(config, async (s) => {
      printJson(await cliChange(s, (actor, trx) => revokeTokens(s.deps, actor, input, trx)));
      return 0;
    });
  },
};
