// What a federated query reads, from DuckDB's own parse tree (json_serialize_sql), never from the text:
// its statement kind, the `domain.dataset` tables it names, the columns it names (to fetch only those
// and to refuse denied ones by name), the WHERE conjuncts simple enough to push into a store, and a
// fingerprint with its literals replaced. Pure: the tree in, the analysis out.
import { fail } from '../errors';
import type { FilterOp } from '../query/query-spec';

type Node = Record<string, unknown>;

export interface TableRef {
  domain: string;
  dataset: string;
  /** The name the query calls it by (its alias, else the dataset name), lower case. */
  alias: string;
}

export interface Comparison {
  /** The column as written: [qualifier..., column], lower case. */
  column: string[];
  op: Exclude<FilterOp, 'like' | 'ilike' | 'in' | 'is'>;
  value: unknown;
}

export interface SqlAnalysis {
  tables: TableRef[];
  /** Every column reference as written ([qualifier..., column], lower case). */
  columns: string[][];
  /** Whether the query asks for `*` somewhere (every column it may see). */
  star: boolean;
  /** The tables of the outermost SELECT's FROM (joins included), where a WHERE conjunct may be pushed. */
  topTables: TableRef[];
  /** The outermost WHERE's conjuncts of the form column op literal/parameter. */
  comparisons: Comparison[];
}

const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'CTE_NODE', 'RECURSIVE_CTE_NODE']);
/** Table references that read something else than a table of the query (files, URLs, the engine's own state). */
const REFUSED_REFS: Record<string, string> = {
  TABLE_FUNCTION: 'table function',
  SHOW_REF: 'DESCRIBE/SUMMARIZE',
  COLUMN_DATA: 'materialized data',
  DELIM_GET: 'internal reference',
};
const OPS: Record<string, [Comparison['op'], Comparison['op']]> = {
  COMPARE_EQUAL: ['eq', 'eq'],
  COMPARE_NOTEQUAL: ['neq', 'neq'],
  COMPARE_LESSTHAN: ['lt', 'gt'],
  COMPARE_GREATERTHAN: ['gt', 'lt'],
  COMPARE_LESSTHANOREQUALTO: ['lte', 'gte'],
  COMPARE_GREATERTHANOREQUALTO: ['gte', 'lte'],
};

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const lower = (v: unknown) => String(v ?? '').toLowerCase();

/** Refuses what json_serialize_sql reported as an error: a syntax error, or a statement other than SELECT. */
export function refuseSerializeError(tree: Node, kind?: string): void {
  if (tree.error !== true) return;
  if (tree.error_type === 'parser') throw fail('sql_syntax', `the SQL does not parse: ${String(tree.error_message).slice(0, 300)}`);
  const refused = kind && kind !== 'SELECT' ? `${kind} statement` : 'a statement other than SELECT';
  throw fail('sql_not_allowed', `${refused}: only one read-only statement (SELECT or WITH ... SELECT) may run here`, { refused });
}

function tableFunctionName(ref: Node): string {
  const fn = isNode(ref.function) ? ref.function : {};
  return typeof fn.function_name === 'string' ? fn.function_name : 'table function';
}

/** Every table and column reference under `node`, refusing table functions and the engine's own catalogs. */
function walk(node: unknown, out: { tables: TableRef[]; columns: string[][]; star: boolean; ctes: Set<string>; raw: Node[] }): void {
  if (Array.isArray(node)) {
    for (const n of node) walk(n, out);
    return;
  }
  if (!isNode(node)) return;
  const type = typeof node.type === 'string' ? node.type : '';
  if (node.class === undefined && REFUSED_REFS[type]) {
    const what = type === 'TABLE_FUNCTION' ? tableFunctionName(node) : REFUSED_REFS[type];
    throw fail('sql_not_allowed', `${what}: a query reads only domain.dataset tables (no table functions, files or URLs)`, { refused: what });
  }
  if (node.class === undefined && type === 'BASE_TABLE') {
    if (lower(node.catalog_name) !== '') throw fail('sql_not_allowed', 'a table is named domain.dataset, without a catalog', { refused: 'catalog reference' });
    out.raw.push(node);
  }
  if (node.class === 'COLUMN_REF' && Array.isArray(node.column_names)) out.columns.push(node.column_names.map(lower));
  if (node.class === 'STAR') out.star = true;
  if (isNode(node.cte_map) && Array.isArray(node.cte_map.map)) for (const e of node.cte_map.map) if (isNode(e)) out.ctes.add(lower(e.key));
  for (const k in node) if (k !== 'type') walk(node[k], out);
}

function toRef(t: Node): TableRef {
  return { domain: lower(t.schema_name), dataset: lower(t.table_name), alias: lower(t.alias) || lower(t.table_name) };
}

function fromTables(ref: unknown, out: TableRef[]): void {
  if (!isNode(ref)) return;
  if (ref.type === 'BASE_TABLE' && lower(ref.schema_name) !== '') out.push(toRef(ref));
  if (ref.type === 'JOIN') {
    fromTables(ref.left, out);
    fromTables(ref.right, out);
  }
}

function conjuncts(where: unknown): Node[] {
  if (!isNode(where)) return [];
  if (where.class === 'CONJUNCTION' && where.type === 'CONJUNCTION_AND' && Array.isArray(where.children)) return where.children.flatMap(conjuncts);
  return [where];
}

function operand(n: unknown, params: readonly unknown[]): { value: unknown } | undefined {
  if (!isNode(n)) return undefined;
  if (n.class === 'CONSTANT' && isNode(n.value)) return n.value.is_null === true ? undefined : { value: n.value.value };
  if (n.class === 'PARAMETER') {
    const i = Number(n.identifier);
    if (!Number.isInteger(i) || i < 1 || i > params.length || params[i - 1] === null) return undefined;
    return { value: params[i - 1] };
  }
  return undefined;
}

function comparison(c: Node, params: readonly unknown[]): Comparison | undefined {
  const ops = OPS[String(c.type)];
  if (c.class !== 'COMPARISON' || !ops) return undefined;
  const [l, r] = [c.left as Node, c.right as Node];
  if (isNode(l) && l.class === 'COLUMN_REF') {
    const v = operand(r, params);
    return v && { column: (l.column_names as unknown[]).map(lower), op: ops[0], value: v.value };
  }
  if (isNode(r) && r.class === 'COLUMN_REF') {
    const v = operand(l, params);
    return v && { column: (r.column_names as unknown[]).map(lower), op: ops[1], value: v.value };
  }
  return undefined;
}

/** The analysis of one serialized statement; refuses anything but one SELECT over domain.dataset tables. */
export function analyseSql(tree: Node, params: readonly unknown[]): SqlAnalysis {
  refuseSerializeError(tree);
  const statements = Array.isArray(tree.statements) ? tree.statements : [];
  if (statements.length !== 1) throw fail('sql_not_allowed', 'one statement at a time', { refused: 'several statements' });
  const root = (statements[0] as Node).node as Node;
  if (!isNode(root) || !QUERY_NODES.has(String(root.type))) throw fail('sql_not_allowed', 'only SELECT or WITH ... SELECT may run here', { refused: String(root?.type ?? 'statement') });
  const out = { tables: [] as TableRef[], columns: [] as string[][], star: false, ctes: new Set<string>(), raw: [] as Node[] };
  walk(root, out);
  for (const t of out.raw) {
    const ref = toRef(t);
    if (ref.domain === '' && out.ctes.has(ref.dataset)) continue;
    if (ref.domain === '') throw fail('sql_not_allowed', `table ${ref.dataset.slice(0, 64)}: name tables as domain.dataset`, { refused: 'table without a domain' });
    out.tables.push(ref);
  }
  const topTables: TableRef[] = [];
  const comparisons: Comparison[] = [];
  if (root.type === 'SELECT_NODE') {
    fromTables(root.from_table, topTables);
    for (const c of conjuncts(root.where_clause)) {
      const cmp = comparison(c, params);
      if (cmp) comparisons.push(cmp);
    }
  }
  return { tables: out.tables, columns: out.columns, star: out.star, topTables, comparisons };
}

/** The tree with every literal replaced by '?': what the audit keeps of the query's text. */
export function withoutLiterals(tree: unknown): unknown {
  if (Array.isArray(tree)) return tree.map(withoutLiterals);
  if (!isNode(tree)) return tree;
  if (tree.class === 'CONSTANT') return { ...tree, value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value: '?' } };
  const out: Node = {};
  // Positions are not part of the query's shape (and the unknown one, 2^64-1, does not survive JSON.parse).
  for (const k in tree) out[k] = k === 'query_location' ? 0 : withoutLiterals(tree[k]);
  return out;
}
