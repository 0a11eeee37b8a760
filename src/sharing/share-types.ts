// What a share is (issue 15): chosen datasets of one domain, each with its columns, a row filter in
// the row API's syntax, and the pii columns its steward chose to share in clear; and its recipients.

export interface ShareTable {
  /** Stable id of the shared table (the protocol's table and metaData id). */
  id: string;
  /** The dataset's name inside the share's domain. */
  dataset: string;
  /** The table's name in the share (lower case): the dataset's name unless an alias was given. */
  name: string;
  /** The shared columns, in the dataset's order; never a confidential one. */
  columns: string[];
  /** Row filter as given: column -> `op.value` (the row API's filter syntax). */
  rows: Record<string, string>;
  /** pii columns shared in clear (by the domain's steward); every other pii column is masked. */
  clear: string[];
}

export interface Share {
  id: string;
  name: string;
  domain: string;
  tables: ShareTable[];
  reason: string;
  createdBy: string;
  createdAt: string;
  deletedAt: string | null;
  deletedBy: string | null;
  deleteReason: string | null;
}

export interface Recipient {
  id: string;
  shareId: string;
  name: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  lastUsedAt: string | null;
}

/** The audit resource of a share. */
export const shareResource = (name: string): string => `share:${name}`;

/** Why a recipient may not use the share now, or undefined while it may. */
export function recipientState(share: Share, recipient: Recipient, now: Date): 'share_deleted' | 'token_revoked' | 'token_expired' | undefined {
  if (recipient.revokedAt) return 'token_revoked';
  if (share.deletedAt) return 'share_deleted';
  if (Date.parse(recipient.expiresAt) <= now.getTime()) return 'token_expired';
  return undefined;
}
