// A piece of SQL with knex placeholders (?? for identifiers, ? for values) and its bindings.
// Identifiers only ever come from the catalog; values only ever travel as bindings.

import type { Knex } from 'knex';

export type Fragment = { sql: string; bindings: Knex.RawBinding[] };

/** A row predicate: always true, never true, or a SQL condition. */
export type Predicate = true | false | Fragment;

export function and(parts: Predicate[]): Predicate {
  if (parts.some((p) => p === false)) return false;
  const frags = parts.filter((p): p is Fragment => p !== true);
  if (frags.length === 0) return true;
  if (frags.length === 1) return frags[0];
  return { sql: frags.map((f) => `(${f.sql})`).join(' AND '), bindings: frags.flatMap((f) => f.bindings) };
}

export function or(parts: Predicate[]): Predicate {
  if (parts.some((p) => p === true)) return true;
  const frags = parts.filter((p): p is Fragment => p !== false);
  if (frags.length === 0) return false;
  if (frags.length === 1) return frags[0];
  return { sql: frags.map((f) => `(${f.sql})`).join(' OR '), bindings: frags.flatMap((f) => f.bindings) };
}

export function not(p: Predicate): Predicate {
  if (p === true) return false;
  if (p === false) return true;
  return { sql: `NOT (${p.sql})`, bindings: p.bindings };
}

export function samePredicate(a: Predicate, b: Predicate): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  return a.sql === b.sql && JSON.stringify(a.bindings) === JSON.stringify(b.bindings);
}

/** As a SQL condition usable in WHERE or CASE WHEN. */
export function toCondition(p: Predicate): Fragment {
  if (p === true) return { sql: '1 = 1', bindings: [] };
  if (p === false) return { sql: '1 = 0', bindings: [] };
  return p;
}
