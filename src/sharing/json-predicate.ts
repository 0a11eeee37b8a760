// The protocol's jsonPredicateHints (PROTOCOL.md, JSON predicates for Filtering) as a test of a row.
// Hints, not filters: a hint that does not parse, names a column that is not shared in clear, or is
// too large is skipped whole (every row kept); a comparison with a NULL or with a value of another
// type is "unknown", and only a row the hint makes certainly false is left out. So a hint can only
// drop rows the client would drop itself; which rows and columns are shared never depends on it.
export type RowTest = (row: Record<string, unknown>) => boolean;

type Node = { op?: unknown; children?: unknown; name?: unknown; value?: unknown; valueType?: unknown };
type Tri = boolean | null;
type Leaf = (row: Record<string, unknown>) => unknown;

const MAX_CHARS = 64 * 1024;
const MAX_NODES = 1000;
const MAX_DEPTH = 32;
const COMPARE: Record<string, (c: number) => boolean> = {
  equal: (c) => c === 0,
  lessThan: (c) => c < 0,
  lessThanOrEqual: (c) => c <= 0,
  greaterThan: (c) => c > 0,
  greaterThanOrEqual: (c) => c >= 0,
};

class Skip extends Error {}

function literal(n: Node): unknown {
  if (typeof n.value !== 'string') throw new Skip();
  switch (n.valueType) {
    case 'int':
    case 'long':
    case 'float':
    case 'double': {
      const v = Number(n.value);
      if (n.value.trim() === '' || !Number.isFinite(v)) throw new Skip();
      return v;
    }
    case 'bool':
      if (n.value !== 'true' && n.value !== 'false') throw new Skip();
      return n.value === 'true';
    case 'string':
    case 'date':
      return n.value;
    default:
      throw new Skip();
  }
}

function compare(a: unknown, b: unknown): number | null {
  if (a === null || a === undefined || b === null || b === undefined || typeof a !== typeof b) return null;
  if (typeof a === 'number' || typeof a === 'string') return a < (b as typeof a) ? -1 : a > (b as typeof a) ? 1 : 0;
  if (typeof a === 'boolean') return a === b ? 0 : null;
  return null;
}

function compile(n: unknown, clear: readonly string[], depth: number, count: { n: number }): (row: Record<string, unknown>) => Tri {
  if (depth > MAX_DEPTH || ++count.n > MAX_NODES || !n || typeof n !== 'object') throw new Skip();
  const node = n as Node;
  const kids = Array.isArray(node.children) ? node.children : [];
  const leaf = (k: unknown): Leaf => {
    const l = k as Node;
    if (l?.op === 'column') {
      if (typeof l.name !== 'string' || !clear.includes(l.name)) throw new Skip();
      const name = l.name;
      return (row) => row[name];
    }
    if (l?.op === 'literal') {
      const v = literal(l);
      return () => v;
    }
    throw new Skip();
  };
  const sub = () => kids.map((k) => compile(k, clear, depth + 1, count));
  switch (node.op) {
    case 'and': {
      if (kids.length < 1) throw new Skip();
      const parts = sub();
      return (row) => parts.reduce<Tri>((acc, p) => (acc === false ? false : ((v) => (v === false ? false : acc === null || v === null ? null : true))(p(row))), true);
    }
    case 'or': {
      if (kids.length < 1) throw new Skip();
      const parts = sub();
      return (row) => parts.reduce<Tri>((acc, p) => (acc === true ? true : ((v) => (v === true ? true : acc === null || v === null ? null : false))(p(row))), false);
    }
    case 'not': {
      if (kids.length !== 1) throw new Skip();
      const [p] = sub();
      return (row) => ((v) => (v === null ? null : !v))(p(row));
    }
    case 'isNull': {
      if (kids.length !== 1) throw new Skip();
      const l = leaf(kids[0]);
      return (row) => ((v) => v === null || v === undefined)(l(row));
    }
    default: {
      const test = COMPARE[String(node.op)];
      if (!test || kids.length !== 2) throw new Skip();
      const [a, b] = kids.map(leaf);
      return (row) => ((c) => (c === null ? null : test(c)))(compare(a(row), b(row)));
    }
  }
}

/** The hint as a row test over the columns shared in clear, or undefined when it is to be skipped. */
export function hintTest(hint: unknown, clearColumns: readonly string[]): RowTest | undefined {
  if (typeof hint !== 'string' || hint.length > MAX_CHARS) return undefined;
  try {
    const test = compile(JSON.parse(hint), clearColumns, 0, { n: 0 });
    return (row) => test(row) !== false;
  } catch {
    return undefined;
  }
}
