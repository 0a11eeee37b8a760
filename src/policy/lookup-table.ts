// Names that come from a client (a role, a store, a column) are looked up in tables with no
// prototype: `constructor`, `__proto__` or `toString` then name nothing, as any unknown name does,
// instead of reaching Object.prototype.
export type LookupTable<T> = Readonly<Record<string, T>>;

export function lookupTable<T>(record: Record<string, T>): LookupTable<T> {
  const table = Object.create(null) as Record<string, T>;
  for (const [k, v] of Object.entries(record)) table[k] = v;
  return Object.freeze(table);
}

/** The value of `name` if the table holds it as its own key. */
export function lookup<T>(table: LookupTable<T>, name: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}
