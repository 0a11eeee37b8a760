// "30d", "12h", "90m", "45s" or a plain number of seconds -> milliseconds (undefined if malformed).
// Used by the configuration (MESHGUARD_TOKEN_MAX_AGE) and the access-review query (unusedFor=30d).
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseDuration(text: string): number | undefined {
  const m = /^(\d{1,9})([smhdw]?)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * UNIT_MS[m[2] || 's'];
}
