// The shape of a grant: a role on a domain ("*" for global roles), for a reason and a period.

export interface Grant {
  id: string;
  subject: string;
  role: string;
  /** A data-mesh domain, or "*" for roles with global scope (admin, auditor). */
  domain: string;
  reason: string;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
  /** The last request the grant authorised, and the last write (insert, update, upsert; no dry run) among them. */
  lastUsedAt: string | null;
  lastWriteAt: string | null;
}
