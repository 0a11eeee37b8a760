// Opens everything the app needs (policies, key, state store, data stores, audit log), seeds the
// demo on first run, checks every dataset's table, and closes it all again. main.ts, the CLI and the
// tests all start here.
import path from 'node:path';
import pino from 'pino';
import type express from 'express';
import type { AppDeps } from './app-deps';
import { buildApp } from './app';
import { AuditLog } from './audit/audit-log';
import { AuditWitness } from './audit/audit-witness';
import { ensureSigningKey, signHead } from './audit/signing-key';
import { FailureLimiter } from './auth/failure-limiter';
import { ensureSecretFile, loadVerifyKey } from './auth/load-key';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import { AccessResolver } from './grants/access-resolver';
import { ensureBootstrapAdmin } from './grants/bootstrap-admin';
import { GrantStore } from './grants/grant-store';
import { openGuardrails } from './guardrails/guardrails';
import { GrantUsage } from './grants/grant-usage';
import { BatchedUsage } from './state/batched-usage';
import { RevocationStore } from './grants/revocation-store';
import { createGatewayMetrics } from './observability/gateway-metrics';
import { loadPolicies } from './policy/load-policies';
import type { Reloaded } from './policy/policy-holder';
import { PolicyHolder } from './policy/policy-holder';
import { reloadAudited } from './policy/reload-policies';
import { ChangeFeed } from './state/change-feed';
import { loadCursorKeys } from './http/read-cursor';
import { createMasker } from './policy/mask-value';
import { loadShareUrlKey } from './sharing/file-url';
import { ShareStore } from './sharing/share-store';
import { openState } from './state/open-state';
import { waitForIdlePools } from './state/wait-idle';
import { checkDatasets } from './stores/check-datasets';
import { closeStores, openStores } from './stores/store-registry';
import { seedDemoIfNew } from '../seeds/seed-demo';

export interface Gateway {
  app: express.Express;
  deps: AppDeps;
  /** Reloads the policy files for an operator's signal (SIGHUP), audited as `by`; a bad reload keeps the old policies and rejects. */
  reloadPolicies(by: string): Promise<Reloaded>;
  close(): Promise<void>;
}

export async function openGateway(config: Config, opts: { clock?: Clock; logger?: pino.Logger } = {}): Promise<Gateway> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? pino({ level: config.logLevel, base: { service: 'meshguard' } });
  const policies = loadPolicies(config.policiesDir);
  const verifyKey = loadVerifyKey(config);
  const maskCounts = { hits: 0, misses: 0 };
  const mask = createMasker(ensureSecretFile(path.join(config.dataDir, 'mask-key'), 32), maskCounts);
  const cursorKeys = loadCursorKeys(config.dataDir);
  const shareUrlKey = loadShareUrlKey(config.dataDir);
  const state = await openState(config);
  const stores = openStores(config, policies);
  try {
    const grants = new GrantStore(state.knex);
    const auditKey = ensureSigningKey(config.dataDir);
    const witness = new AuditWitness(state.knex, config.dataDir, auditKey.publicKey, (err) => logger.error({ err }, 'the audit witness could not be written'));
    const audit = new AuditLog(state.knex, state.dialect, config.auditFlushMax, (id, hash) => signHead(auditKey, id, hash), state.file, witness);
    await audit.signGenesis();
    if (config.seedDemo) await seedDemoIfNew({ config, policies, stores, state, grants, audit, clock, logger });
    if (config.bootstrapAdmin) await ensureBootstrapAdmin(grants, audit, state.knex, config.bootstrapAdmin, policies, clock);
    const datasetProblems = await checkDatasets(policies, stores);
    for (const [dataset, { problem, cause }] of datasetProblems) {
      logger.error({ dataset, problem, err: cause }, `dataset ${dataset}: ${problem}; its requests fail until it is fixed (then restart)`);
    }
    const guard = openGuardrails(config, state, audit, logger);
    const revocations = new RevocationStore(state.knex);
    await revocations.prune(clock.now()); // and again with every new revocation
    const usage = new GrantUsage(grants, config.usageFlushMs, logger);
    const shares = new ShareStore(state.knex);
    const recipientUsage = new BatchedUsage<number>((uses) => shares.recordRecipientUse(uses), Math.max, config.usageFlushMs, logger, 'recipient');
    const policyHolder = new PolicyHolder(config.policiesDir, stores, policies, datasetProblems);
    const feed = state.dialect === 'postgres' && config.changeFeed ? new ChangeFeed(config.stateUrl!, config.stateSchema, logger) : undefined;
    await feed?.start();
    const access = new AccessResolver(state, grants, revocations, () => policyHolder.current, clock, feed);
    const authFailures = new FailureLimiter({
      perMinute: config.authFailuresPerMinute,
      clock,
      policyVersion: () => policyHolder.current.version,
      record: (entry) => audit.record(entry),
      onError: (err) => logger.error({ err }, 'audit append of coalesced authentication failures failed'),
    });
    const caches = { abilities: access.counts, tokens: { hits: 0, misses: 0 }, masks: maskCounts };
    const metrics = config.metrics ? createGatewayMetrics({ audit, caches, stores, state }) : undefined;
    const deps: AppDeps = {
      config,
      get policies() {
        return policyHolder.current;
      },
      policyHolder,
      feed,
      lifecycle: { draining: false },
      stores,
      state,
      grants,
      access,
      revocations,
      usage,
      audit,
      auditKey,
      verifyKey,
      mask,
      clock,
      logger,
      guard,
      authFailures,
      get datasetProblems() {
        return policyHolder.problems;
      },
      cursorKeys,
      shares,
      recipientUsage,
      shareUrlKey,
      caches,
      metrics,
    };
    return {
      app: buildApp(deps),
      deps,
      reloadPolicies: (by) => reloadAudited(deps, by),
      async close() {
        await feed?.close();
        await waitForIdlePools([state.knex, ...[...stores.values()].map((s) => s.knex)]);
        await guard.alerts.close();
        await authFailures.close();
        await audit.close();
        await usage.flush();
        await recipientUsage.flush();
        await closeStores(stores);
        await state.knex.destroy();
      },
    };
  } catch (e) {
    await closeStores(stores);
    await state.knex.destroy();
    throw e;
  }
}
