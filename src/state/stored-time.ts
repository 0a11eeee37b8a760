// Instants are stored as epoch milliseconds (bigint: PostgreSQL hands them back as strings); the
// API answers ISO 8601. One conversion for every store of the state.

/** A stored instant as ISO 8601; null stays null. */
export function isoFromStored(v: number | string): string;
export function isoFromStored(v: number | string | null): string | null;
export function isoFromStored(v: number | string | null): string | null {
  return v === null ? null : new Date(Number(v)).toISOString();
}
