// What the HTTP app is built from: everything with I/O is opened by gateway.ts and passed in.
import type pino from 'pino';
import type { AuditLog } from './audit/audit-log';
import type { SigningKey } from './audit/signing-key';
import type { FailureLimiter } from './auth/failure-limiter';
import type { RemoteKeys, VerifyKey } from './auth/load-key';
import type { Clock } from './clock';
import type { CursorKeys } from './http/read-cursor';
import type { Config } from './config';
import type { AccessResolver } from './grants/access-resolver';
import type { Guardrails } from './guardrails/guardrails';
import type { GrantStore } from './grants/grant-store';
import type { GrantUsage } from './grants/grant-usage';
import type { BatchedUsage } from './state/batched-usage';
import type { RevocationStore } from './grants/revocation-store';
import type { Policies } from './policy/load-policies';
import type { PolicyHolder } from './policy/policy-holder';
import type { ChangeFeed } from './state/change-feed';
import type { GatewayCaches, GatewayMetrics } from './observability/gateway-metrics';
import type { Masker } from './policy/mask-value';
import type { StateDb } from './state/open-state';
import type { DatasetProblems } from './stores/check-datasets';
import type { ShareStore } from './sharing/share-store';
import type { StoreRegistry } from './stores/store-registry';

export interface AppDeps {
  config: Config;
  /** The policies in force: a getter onto `policyHolder.current`, so a reload reaches every reader. */
  readonly policies: Policies;
  /** replicas (issue 16): holds the policies and swaps them on a reload. */
  policyHolder: PolicyHolder;
  /** replicas (issue 16): the PostgreSQL change listener, when the state is there and it is on. */
  feed?: ChangeFeed;
  /** replicas (issue 16): set when SIGTERM starts draining; /readyz then answers 503. */
  lifecycle: { draining: boolean };
  stores: StoreRegistry;
  state: StateDb;
  grants: GrantStore;
  access: AccessResolver;
  revocations: RevocationStore;
  usage: GrantUsage;
  audit: AuditLog;
  /** Signs the audit chain head and prune checkpoints; its public half verifies them. */
  auditKey: SigningKey;
  verifyKey: VerifyKey | RemoteKeys;
  mask: Masker;
  clock: Clock;
  logger: pino.Logger;
  /** guardrails (issue 5): write guardrails state, idempotency keys, alerts. */
  guard: Guardrails;
  /** rate limits (issue 10): failed authentications per client address, coalesced past the limit. */
  authFailures: FailureLimiter;
  /** Datasets whose table or columns were missing from their store when the policies in force were loaded (reported by /healthz). */
  readonly datasetProblems: DatasetProblems;
  /** Keys that seal and open keyset cursors (issue 12), from the data dir's cursor-key. */
  cursorKeys: CursorKeys;
  /** sharing (issue 15): shares, recipients and table versions, and the key that signs file URLs. */
  shares: ShareStore;
  /** When each recipient last used its profile, written in batches (state/batched-usage.ts). */
  recipientUsage: BatchedUsage<number>;
  shareUrlKey: Buffer;
  /** Hit and miss counts of the abilities, tokens and masks caches (issue 17). */
  caches: GatewayCaches;
  /** Prometheus metrics, when MESHGUARD_METRICS_PORT is set (served by main.ts on their own listener). */
  metrics?: GatewayMetrics;
}
