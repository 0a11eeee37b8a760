// Access reviews need to know when each grant last authorised a request (and last wrote through it);
// collected in memory and written in batches (state/batched-usage.ts).
import type pino from 'pino';
import type { AuditInput } from '../audit/audit-entry';
import type { GrantStore } from './grant-store';
import { BatchedUsage } from '../state/batched-usage';

/** The audit actions of data writes (http/routes/rows-routes.ts): POST is insert or upsert, PATCH update. */
export const WRITE_ACTIONS: ReadonlySet<string> = new Set(['insert', 'upsert', 'update']);

/** Did this allowed entry change data? A dry run is audited under its action but writes nothing. */
export function isWrite(entry: Pick<AuditInput, 'action' | 'details'>): boolean {
  return WRITE_ACTIONS.has(entry.action) && entry.details?.dryRun !== true;
}

type Use = { usedAt: number; writeAt: number | null };

const later = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

export class GrantUsage {
  private readonly uses: BatchedUsage<Use>;

  constructor(grants: GrantStore, flushMs: number, logger: pino.Logger) {
    this.uses = new BatchedUsage<Use>((batch) => grants.recordUsage(batch), (a, b) => ({ usedAt: Math.max(a.usedAt, b.usedAt), writeAt: later(a.writeAt, b.writeAt) }), flushMs, logger, 'grant');
  }

  /** Notes that `grantIds` authorised the audited `entry` (a write, or not). Cheap: memory only. */
  touch(grantIds: readonly string[], entry: Pick<AuditInput, 'action' | 'details' | 'ts'>): void {
    const t = entry.ts.getTime();
    const use = { usedAt: t, writeAt: isWrite(entry) ? t : null };
    for (const id of grantIds) this.uses.note(id, use);
  }

  /** Writes what is pending; resolves when it (and any flush under way) is committed. */
  flush(): Promise<void> {
    return this.uses.flush();
  }
}
