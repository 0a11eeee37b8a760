// The two small languages of a metric definition, parsed once at start-up:
// - arithmetic (a measure's `expr` over columns, a derived metric's `expr` over metrics): names, numbers,
//   + - * / and parentheses; nothing else, so no SQL can be smuggled through a definition;
// - MetricFlow's filter, `{{ Dimension('order__status') }} = 'paid'`, conditions joined by AND, which
//   becomes the gateway's own filters (query/query-spec.ts) and so the planner's own SQL.
import type { Filter } from '../query/query-spec';

export type Expr =
  | { kind: 'num'; value: number }
  | { kind: 'ref'; name: string }
  | { kind: 'neg'; e: Expr }
  | { kind: 'bin'; op: '+' | '-' | '*' | '/'; l: Expr; r: Expr };

const TOKEN = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/()]))/y;

/** Parses arithmetic; throws an Error saying what is wrong (the loader adds the file and path). */
export function parseExpr(text: string): Expr {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m) throw new Error(`unexpected character at ${pos} in "${text}" (names, numbers, + - * / and parentheses only)`);
    tokens.push(m[1] ?? m[2] ?? m[3]);
    pos = TOKEN.lastIndex;
  }
  let i = 0;
  const peek = () => tokens[i];
  const expr = (): Expr => {
    let l = term();
    while (peek() === '+' || peek() === '-') l = { kind: 'bin', op: tokens[i++] as '+' | '-', l, r: term() };
    return l;
  };
  const term = (): Expr => {
    let l = factor();
    while (peek() === '*' || peek() === '/') l = { kind: 'bin', op: tokens[i++] as '*' | '/', l, r: factor() };
    return l;
  };
  const factor = (): Expr => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`"${text}" ends too early`);
    if (t === '-') return { kind: 'neg', e: factor() };
    if (t === '(') {
      const e = expr();
      if (tokens[i++] !== ')') throw new Error(`missing ) in "${text}"`);
      return e;
    }
    if (/^\d/.test(t)) return { kind: 'num', value: Number(t) };
    if (/^[A-Za-z_]/.test(t)) return { kind: 'ref', name: t };
    throw new Error(`unexpected ${t} in "${text}"`);
  };
  const e = expr();
  if (i !== tokens.length) throw new Error(`unexpected ${tokens[i]} in "${text}"`);
  return e;
}

export function refsOf(e: Expr): string[] {
  switch (e.kind) {
    case 'num':
      return [];
    case 'ref':
      return [e.name];
    case 'neg':
      return refsOf(e.e);
    case 'bin':
      return [...refsOf(e.l), ...refsOf(e.r)];
  }
}

/** A filter of a definition: a dimension reference (`entity__dimension` or `dimension`) and the condition on it. */
export interface DefinitionFilter extends Omit<Filter, 'column'> {
  dimension: string;
}

const OPS: Record<string, Pick<Filter, 'op' | 'negated'>> = {
  '=': { op: 'eq', negated: false },
  '!=': { op: 'neq', negated: false },
  '<>': { op: 'neq', negated: false },
  '>': { op: 'gt', negated: false },
  '>=': { op: 'gte', negated: false },
  '<': { op: 'lt', negated: false },
  '<=': { op: 'lte', negated: false },
};
const DIM = String.raw`\{\{\s*Dimension\(\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\)\s*\}\}`;
const LITERAL = String.raw`'(?:[^']|'')*'|-?\d+(?:\.\d+)?|TRUE|FALSE`;
const CONDITION = new RegExp(
  String.raw`^\s*${DIM}\s*(?:(=|!=|<>|>=|<=|>|<)\s*(${LITERAL})|(NOT\s+)?IN\s*\(\s*((?:${LITERAL})(?:\s*,\s*(?:${LITERAL}))*)\s*\)|IS\s+(NOT\s+)?NULL)\s*$`,
  'i',
);

const unquote = (lit: string): string => (lit.startsWith("'") ? lit.slice(1, -1).replace(/''/g, "'") : lit.toLowerCase());

/** Splits on AND outside quotes. */
function conjuncts(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "'") quoted = !quoted;
    if (!quoted && /^\sAND\s/i.test(text.slice(i, i + 5))) {
      parts.push(cur);
      cur = '';
      i += 4;
      continue;
    }
    cur += text[i];
  }
  parts.push(cur);
  return parts;
}

/** Parses a MetricFlow filter (a subset: comparisons, IN, IS NULL, joined by AND). */
export function parseDefinitionFilter(text: string): DefinitionFilter[] {
  return conjuncts(text).map((part) => {
    const m = CONDITION.exec(part);
    if (!m) throw new Error(`cannot read the condition "${part.trim()}": use {{ Dimension('entity__dimension') }} <op> <value>, IN (...) or IS [NOT] NULL, joined by AND`);
    const [, dimension, op, lit, notIn, list, notNull] = m;
    if (op && /^(true|false)$/i.test(lit)) {
      if (OPS[op].op !== 'eq' && OPS[op].op !== 'neq') throw new Error(`"${part.trim()}": TRUE and FALSE compare with = or != only`);
      return { dimension, op: 'is', negated: OPS[op].op === 'neq', value: lit.toLowerCase() === 'true' };
    }
    if (op) return { dimension, ...OPS[op], value: unquote(lit) };
    if (list !== undefined) {
      const values = list.match(new RegExp(LITERAL, 'gi'))!.map(unquote);
      return { dimension, op: 'in', negated: !!notIn, value: values };
    }
    return { dimension, op: 'is', negated: !!notNull, value: null };
  });
}
