// Bounds what a query string may carry, before anything reads it: at most MAX_QUERY_PARAMS
// parameters (a 400 naming the limit; nothing a client sends is ever dropped silently). The query
// parser itself keeps every parameter (no maxKeys cut), so what passes here is parsed whole.
import querystring from 'node:querystring';
import type { NextFunction, Request, Response } from 'express';
import { fail } from '../errors';

export const MAX_QUERY_PARAMS = 100;

/** Express's "simple" parser without node's silent cut at 1000 keys. */
export const parseQueryString = (text: string): Record<string, unknown> => ({ ...querystring.parse(text, '&', '=', { maxKeys: 0 }) });

export function limitQuery(req: Request, _res: Response, next: NextFunction): void {
  const q = req.url.indexOf('?');
  if (q >= 0) {
    let n = 0;
    for (const part of req.url.slice(q + 1).split('&')) if (part !== '') n++;
    if (n > MAX_QUERY_PARAMS) {
      throw fail('too_many_parameters', `the query string has ${n} parameters; at most ${MAX_QUERY_PARAMS} are accepted`, { limit: MAX_QUERY_PARAMS });
    }
  }
  next();
}
