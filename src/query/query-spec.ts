// What a client asked for, parsed from the query string but not yet checked against the catalog.

export const FILTER_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'is'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export interface Filter {
  column: string;
  op: FilterOp;
  negated: boolean;
  /** Raw text from the URL: a string, a list for `in`, or null/true/false for `is`. */
  value: string | string[] | null | boolean;
}

export interface OrderTerm {
  column: string;
  dir: 'asc' | 'desc';
  nulls?: 'first' | 'last';
}

export interface QuerySpec {
  select?: string[];
  filters: Filter[];
  order: OrderTerm[];
  limit: number;
  offset: number;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10000;
/** A bulk answer (CSV, NDJSON, Arrow, Parquet) without `limit`: every row (issue 12). */
export const ALL_ROWS = Number.MAX_SAFE_INTEGER;
