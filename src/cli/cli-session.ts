// What the operators' grant verbs share: the gateway opened on the host's configuration (the same
// state store the servers use), the operator's audit subject (cli:<os user>), and audited changes.
import crypto from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';
import pino from 'pino';
import type { AppDeps } from '../app-deps';
import type { Config } from '../config';
import { openGateway } from '../gateway';
import type { Actor, Change } from '../grants/use-case';
import { settleChange } from '../state/change-feed';

export interface CliSession {
  deps: AppDeps;
  /** The subject the audit log names for the operator: cli:<os user>. */
  operator: string;
  /** The operator's own user name: nobody grants to themselves, on the command line either. */
  user: string;
}

export async function withSession<T>(config: Config, work: (s: CliSession) => Promise<T>): Promise<T> {
  // A verb answers no requests: it needs no change listener of its own.
  const gw = await openGateway({ ...config, changeFeed: false }, { logger: pino({ level: 'silent' }) });
  const user = config.sudoUser ?? os.userInfo().username;
  try {
    return await work({ deps: gw.deps, operator: `cli:${user}`, user });
  } finally {
    await gw.close();
  }
}

/** The operator as the use cases see it: a full admin on the host, never granting to themselves. */
export const operatorActor = (s: CliSession): Actor => ({ kind: 'operator', subject: s.operator, user: s.user });

/** Runs a use case (grants/grant-commands.ts, grants/subject-commands.ts) as the operator, committed with its audit entry. */
export async function cliChange<T>(s: CliSession, work: (actor: Actor, trx: Knex.Transaction) => Promise<Change<T>>): Promise<T> {
  const result = await s.deps.state.knex.transaction(async (trx) => {
    const change = await work(operatorActor(s), trx);
    await auditCli(s, change, trx);
    return change.result;
  });
  // Reported done only once every gateway on shared PostgreSQL state must see it (state/change-feed.ts).
  await settleChange(s.deps.state.dialect);
  return result;
}

/** Appends the audit entry of an operator's action inside its state transaction (or alone, for reads). */
export async function auditCli(
  s: CliSession,
  e: { action: string; resource: string | null; reason: string | null; status: number; details?: Record<string, unknown>; rowCount?: number; grantIds?: string[] },
  trx?: Knex.Transaction,
): Promise<void> {
  const entry = {
    ts: s.deps.clock.now(),
    requestId: crypto.randomUUID(),
    subject: s.operator,
    action: e.action,
    resource: e.resource,
    decision: 'allow' as const,
    reason: e.reason,
    status: e.status,
    rowCount: e.rowCount ?? null,
    grantIds: e.grantIds?.length ? e.grantIds : null,
    policyVersion: s.deps.policies.version,
    details: e.details ?? null,
  };
  if (trx) await s.deps.audit.recordIn(trx, entry);
  else await s.deps.audit.record(entry);
}

export const printJson = (v: unknown): void => void process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
