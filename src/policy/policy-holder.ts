// The policies in force, swapped whole on a reload (SIGHUP, POST /v1/admin/policies/reload). Every
// holder of the policies reads `current` when it needs them (AppDeps.policies is a getter onto it),
// and the caches built from them (abilities per subject, read limits per access) are keyed by the
// policies object they were built from, so a swap is one assignment: the request that starts after it
// sees only the new policies, and its audit entry their version. A reload is validated first (the
// files parse and check as at start-up, the stores are unchanged since their connections were opened
// with the old ones, every dataset's table is checked); a bad reload keeps the old policies and says why.
import { ConfigError, fail } from '../errors';
import { checkDatasets, type DatasetProblems } from '../stores/check-datasets';
import type { StoreRegistry } from '../stores/store-registry';
import { loadPolicies, type Policies } from './load-policies';

export interface Reloaded {
  from: string;
  to: string;
  changed: boolean;
}

export class PolicyHolder {
  private policies: Policies;
  private datasetProblems: DatasetProblems;
  /** Reloads run one at a time: two admins reloading at once must not swap in an older read. */
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly stores: StoreRegistry,
    initial: Policies,
    problems: DatasetProblems,
  ) {
    this.policies = initial;
    this.datasetProblems = problems;
  }

  get current(): Policies {
    return this.policies;
  }

  /** Datasets whose table or columns were missing when the policies in force were loaded. */
  get problems(): DatasetProblems {
    return this.datasetProblems;
  }

  /** Reads, validates and swaps in the policy files; throws invalid_policies (422) and keeps the old ones. */
  reload(): Promise<Reloaded> {
    const run = this.reloading.then(() => this.load());
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<Reloaded> {
    const from = this.policies;
    let next: Policies;
    try {
      next = loadPolicies(this.dir);
    } catch (e) {
      if (e instanceof ConfigError) throw fail('invalid_policies', `the policies were not reloaded: ${e.message}`, { policyVersion: from.version });
      throw e;
    }
    if (JSON.stringify(next.stores) !== JSON.stringify(from.stores)) {
      throw fail('invalid_policies', 'the policies were not reloaded: stores.yaml changed, and store connections are opened at start-up; restart the gateway to change them', {
        policyVersion: from.version,
      });
    }
    if (next.version === from.version) return { from: from.version, to: from.version, changed: false };
    const problems = await checkDatasets(next, this.stores);
    this.datasetProblems = problems;
    this.policies = next;
    return { from: from.version, to: next.version, changed: true };
  }
}
