// The OpenAPI 3.1 document of the gateway, generated from http/openapi/operations.ts: each query and
// body schema is the zod constant the route validates with, turned into JSON Schema (2020-12, the
// dialect of OpenAPI 3.1) by zod's own z.toJSONSchema; refusals are RFC 9457 problems whose `code`
// lists every stable code of errors.ts. Built once per app, at start-up.
import { z } from 'zod';
import { ERRORS } from '../../errors';
import { OPERATIONS, Filters, Problem, type Operation } from './operations';

type Schema = Record<string, unknown>;

/** A zod schema as JSON Schema, as the caller sends it (io: input) and without its $schema line. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Schema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Schema;
  return rest;
}

const openapiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

/** Statuses every authenticated operation may be refused with. */
const USUAL_PROBLEMS = [400, 401, 403, 404, 429, 503];

function problemDescription(status: number): string {
  const codes = Object.entries(ERRORS).filter(([, e]) => e.status === status).map(([code]) => code);
  return `problem+json; code is one of ${codes.join(', ') || 'the codes of the Problem schema'}`;
}

function operation(op: Operation): Schema {
  const parameters: Schema[] = [...op.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
  if (op.query) {
    const q = jsonSchema(op.query, 'input') as { properties?: Record<string, Schema>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: q.required?.includes(name) ?? false, schema: rest, ...(description ? { description } : {}) });
    }
  }
  if (op.filters) parameters.push({ name: 'filters', in: 'query', style: 'form', explode: true, schema: jsonSchema(Filters, 'input'), description: String(Filters.description) });
  const responses: Record<string, Schema> = {};
  for (const [status, a] of Object.entries(op.answers)) {
    responses[status] = {
      description: a.description,
      ...(a.schema && { content: Object.fromEntries((a.media ?? ['application/json']).map((m) => [m, { schema: m === 'application/json' ? jsonSchema(a.schema!, 'output') : { type: 'string' } }])) }),
    };
  }
  for (const status of new Set([...(op.public ? [] : USUAL_PROBLEMS), ...(op.problems ?? []), 500])) {
    responses[String(status)] = { description: problemDescription(status), content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
  }
  return {
    operationId: `${op.method}${op.path.replace(/[/:.]+([a-z])?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    tags: [op.tag],
    summary: op.summary,
    ...(op.public ? { security: [] } : op.recipient ? { security: [{ recipient: [] }] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } } } : {}),
    responses,
  };
}

export function openapiDocument(version: string): Schema {
  const paths: Record<string, Record<string, Schema>> = {};
  for (const op of OPERATIONS) (paths[openapiPath(op.path)] ??= {})[op.method] = operation(op);
  return {
    openapi: '3.1.1',
    info: {
      title: 'meshguard',
      version,
      description: 'Least-privilege data-serving gateway. Every request but the public ones carries a bearer JWT; refusals are RFC 9457 problems with a stable code.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        recipient: { type: 'http', scheme: 'bearer', description: "A Delta Sharing recipient's profile token (bearerToken of the profile file)" },
      },
      schemas: { Problem: jsonSchema(Problem, 'output') },
    },
  };
}
