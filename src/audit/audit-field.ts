// Bounds and escapes the text of an audit entry before it is hashed and stored, so no request-derived
// value can break a commit (PostgreSQL's varchar(255), a NUL byte that text columns refuse, a lone
// surrogate the driver would rewrite and so break the hash) and no field ever holds raw control text
// from an attacker (CR/LF, other C0 and C1 controls, U+2028/2029, bidirectional overrides) that could
// forge lines or reorder what an auditor reads. Each such character becomes the six characters \uXXXX;
// text past a field's bound is cut and ends with a visible marker that says how much was cut.

/** Characters never stored raw: C0, DEL and C1 controls, line and paragraph separators, bidi controls, lone surrogates. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export const escapeControls = (s: string): string => s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** `s` escaped, and cut to at most `max` characters (UTF-16 units, so also at most `max` characters
 *  as PostgreSQL counts them) with a marker naming how many were cut. `max` leaves room for the marker. */
export function boundText(s: string, max: number): string {
  const t = escapeControls(s);
  if (t.length <= max) return t;
  let keep = max - `…[+${t.length} chars]`.length;
  // Never end inside an escape (\u00) or between the halves of a surrogate pair.
  const partial = /\\u[0-9a-f]{0,3}$|\\$/.exec(t.slice(Math.max(0, keep - 5), keep));
  if (partial) keep -= partial[0].length;
  if (/[\ud800-\udbff]/.test(t.charAt(keep - 1))) keep--;
  return `${t.slice(0, Math.max(0, keep))}…[+${t.length - Math.max(0, keep)} chars]`;
}

export function boundNullable(s: string | null | undefined, max: number): string | null {
  return s === null || s === undefined ? null : boundText(String(s), max);
}

/** Every string in a JSON value (object keys too) escaped; other values as they are. */
function escapeDeep(v: unknown): unknown {
  if (typeof v === 'string') return escapeControls(v);
  if (Array.isArray(v)) return v.map(escapeDeep);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [escapeControls(k), escapeDeep(x)]));
  return v;
}

/**
 * A JSON value as stored text of at most `max` characters, still valid JSON: strings escaped; an array
 * too long keeps its first elements and ends with a marker element; any other value too long becomes
 * `{ "truncated": <chars>, "preview": "<its start>" }`.
 */
export function boundJson(v: unknown, max: number): string | null {
  if (v === null || v === undefined) return null;
  const safe = escapeDeep(v);
  const text = JSON.stringify(safe);
  if (text.length <= max) return text;
  if (Array.isArray(safe)) {
    const kept: unknown[] = [];
    let size = 2;
    for (const x of safe) {
      const item = typeof x === 'string' ? boundText(x, 255) : x;
      const len = JSON.stringify(item).length + 1;
      if (size + len > max - 32) break;
      kept.push(item);
      size += len;
    }
    return JSON.stringify([...kept, `…[+${safe.length - kept.length} more]`]);
  }
  // JSON.stringify at most doubles the preview (each quote or backslash gains one backslash).
  return JSON.stringify({ truncated: text.length, preview: boundText(text, Math.floor(max / 2) - 32) });
}
