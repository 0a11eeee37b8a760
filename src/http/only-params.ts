// Query parameters of routes that take a fixed set: anything else is a 400, never silently ignored.
import type { Request } from 'express';
import type { z } from 'zod';
import { fail } from '../errors';

export function onlyParams<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const parsed = schema.safeParse(req.query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') throw fail('unknown_parameter', `unknown query parameter ${issue.keys.join(', ')}`);
    throw fail('bad_request', `${issue.path.join('.') || 'query'}: ${issue.message}`);
  }
  return parsed.data;
}
