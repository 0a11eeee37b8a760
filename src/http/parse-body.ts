// Request body -> validated value of a zod schema, or a 400/415 that says what is wrong and where.
import type { Request } from 'express';
import type { z } from 'zod';
import { fail } from '../errors';

export function parseBody<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  if (!req.is('application/json')) throw fail('unsupported_media_type', 'send the body as application/json');
  const parsed = schema.safeParse(req.body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : 'body';
    throw fail('invalid_body', `${at}: ${issue.message}`);
  }
  return parsed.data;
}
