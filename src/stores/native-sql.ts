// A raw statement in its driver's form (knex's toSQL().toNative(): identifiers quoted, placeholders
// numbered for PostgreSQL), remembered per statement shape. A shape is the statement text with its
// `??` identifiers (catalog names) filled in; its `?` values are what changes from one request to the
// next (`region=eq.EU`, then `eq.NA`), and they only ever travel as bindings. So knex renders each shape
// once, and a read of a shape seen before costs a lookup instead of knex's formatter on every request.
import type { Knex } from 'knex';

export interface NativeSql {
  sql: string;
  bindings: readonly unknown[];
}

/** Shapes kept per knex client; past it the memory starts over, so it stays flat. */
export const NATIVE_SHAPES_MAX = 512;

const shapes = new WeakMap<object, Map<string, string>>();

/** A value knex binds as it is (a `?` in the text, the value in the bindings). */
const isPlainValue = (v: unknown) =>
  v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v instanceof Date || Buffer.isBuffer(v);

/** `knex.raw(sql, bindings)` in the driver's form; the same as `.toSQL().toNative()`. */
export function nativeSql(knex: Knex, sql: string, bindings: readonly Knex.RawBinding[]): NativeSql {
  const viaKnex = () => knex.raw(sql, bindings as Knex.RawBinding[]).toSQL().toNative();
  // knex reads `\?` as a literal question mark; the read path never writes one.
  if (sql.includes('\\?')) return viaKnex();
  const identifiers: string[] = [];
  const values: unknown[] = [];
  let i = 0;
  for (let at = sql.indexOf('?'); at !== -1; i++) {
    const b = bindings[i];
    if (sql.charCodeAt(at + 1) === 63 /* ?? */) {
      if (typeof b !== 'string') return viaKnex();
      identifiers.push(b);
      at = sql.indexOf('?', at + 2);
    } else {
      // An array, a raw or a builder changes the text knex writes: not a value of a shape.
      if (!isPlainValue(b)) return viaKnex();
      values.push(b);
      at = sql.indexOf('?', at + 1);
    }
  }
  if (i !== bindings.length) return viaKnex(); // knex's own error for a count that does not match

  let byShape = shapes.get(knex.client);
  if (!byShape) shapes.set(knex.client, (byShape = new Map()));
  const key = `${JSON.stringify(identifiers)}${sql}`;
  const known = byShape.get(key);
  if (known !== undefined) return { sql: known, bindings: knex.client.prepBindings(values) as unknown[] };
  const native = viaKnex();
  if (native.bindings.length === values.length) {
    if (byShape.size >= NATIVE_SHAPES_MAX) byShape.clear();
    byShape.set(key, native.sql);
  }
  return native;
}
