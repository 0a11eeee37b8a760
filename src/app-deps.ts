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
import type { RevocationStore } from './grants/revocation-store';
import type { Policies } from './policy/load-policies';
import type { GatewayCaches, GatewayMetrics } from './observability/gateway-metrics';
import type { Masker } from './policy/mask-value';
import type { StateDb } from './state/open-state';
import type { DatasetProblems } from './stores/check-datasets';
import type { StoreRegistry } from './stores/store-registry';

export interface AppDeps {
  config: Config;
  policies: Policies;
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
  /** Datasets whose table or columns were missing from their store at start-up (reported by /healthz). */
  datasetProblems: DatasetProblems;
  /** Keys that seal and open keyset cursors (issue 12), from the data dir's cursor-key. */
  cursorKeys: CursorKeys;
  /** Hit and miss counts of the abilities, tokens and masks caches (issue 17). */
  caches: GatewayCaches;
  /** Prometheus metrics, when MESHGUARD_METRICS_PORT is set (served by main.ts on their own listener). */
  metrics?: GatewayMetrics;
}
