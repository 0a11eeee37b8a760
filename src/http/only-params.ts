// Query parameters of routes that take a fixed set: anything else is a 400, never silently ignored.
// Every 400 names the `parameter` at fault; `code` is the error for a value that does not parse.
import type { Request } from 'express';
import type { z } from 'zod';
import { fail, type ErrorCode } from '../errors';

export function onlyParams<S extends z.ZodType>(req: Request, schema: S, code: ErrorCode = 'bad_request'): z.infer<S> {
  for (const [k, v] of Object.entries(req.query)) {
    if (Array.isArray(v)) throw fail(code, `${k} may be given once`, { parameter: k });
  }
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') throw fail('unknown_parameter', `unknown query parameter ${issue.keys.join(', ')}`, { parameter: issue.keys[0] });
    const parameter = String(issue.path[0] ?? 'query');
    throw fail(code, `${issue.path.join('.') || 'query'}: ${issue.message}`, { parameter });
  }
  return parsed.data;
}
