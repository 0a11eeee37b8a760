// POST /v1/trino/allow, /v1/trino/batch, /v1/trino/row-filters, /v1/trino/column-masks: the HTTP
// contract of Trino's OPA access-control plugin (opa.policy.uri, opa.policy.batched-uri,
// opa.policy.row-filters-uri, opa.policy.batch-column-masking-uri), so Trino enforces meshguard's grants.
// Mounted only when MESHGUARD_TRINO_TOKEN is set, before JWT authentication (Trino has no JWT): the
// caller proves it is the Trino deployment with that bearer token (compared in constant time), and
// only then is the user it names trusted as the subject. Each answer is one audit entry, a batch's
// included (what it allowed and denied, by name), with Trino's query id to group a query's entries.
import crypto from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../../app-deps';
import { fail, GatewayError } from '../../errors';
import { OpaQuery } from '../../trino/opa-request';
import { trinoCatalog } from '../../trino/trino-catalog';
import { buildAbility, type AppAbility } from '../../policy/build-ability';
import { decide, decideBatch, type TrinoAccess } from '../../trino/trino-decisions';
import { columnMasks, rowFilters } from '../../trino/trino-view-expressions';
import { recordOutcome, type Outcome } from '../audit-request';
import { onlyParams } from '../only-params';
import { ctx } from '../request-context';
import { router } from '../router';

/** Names listed in a batch's audit entry, each of allowed and denied; the counts are always whole. */
const LISTED = 200;

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

type Input = OpaQuery['input'];
/**
 * The subject's access; when Trino's user may have none now (suspended; its tokens revoked: it holds no
 * token to prove otherwise), an access that allows nothing, with the refusal for the audit entry.
 */
interface Loaded {
  access: TrinoAccess;
  refused?: GatewayError;
}

export function trinoRoutes(deps: AppDeps): Router {
  const { token, catalog } = deps.config.trino!;
  const expected = digest(token);
  const r = router();
  const json = express.json({ limit: '1mb', strict: true });

  /** Authentication of the caller (Trino): 401 only, like the JWT door; the body is not read before it. */
  const trinoToken = (req: Request, res: Response, next: NextFunction): void => {
    ctx(res).action = 'trino authenticate';
    const header = req.get('authorization');
    if (!header) throw fail('missing_token', 'the Trino endpoints need the Trino bearer token (MESHGUARD_TRINO_TOKEN)');
    const m = /^Bearer ([^\s]+)$/i.exec(header);
    // Digests of equal length, so the comparison takes the same time whatever the token sent.
    if (!m || !crypto.timingSafeEqual(digest(m[1]), expected)) throw fail('invalid_token', 'the Trino bearer token is not valid');
    next();
  };

  async function begin(req: Request, res: Response): Promise<{ input: Input; loaded: Loaded }> {
    const c = ctx(res);
    onlyParams(req, z.strictObject({}));
    const parsed = OpaQuery.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw fail('invalid_body', `not a request of Trino's OPA plugin: ${issue.path.join('.') || '(body)'}: ${issue.message}`);
    }
    const input = parsed.data.input;
    c.action = `trino ${input.action.operation}`;
    c.principal = { subject: input.context.identity.user, expiresAt: Number.POSITIVE_INFINITY };
    const view = (ability: AppAbility): TrinoAccess => ({ ability, policies: deps.policies, catalog: trinoCatalog(deps.policies, catalog) });
    try {
      return { input, loaded: { access: view((await deps.access.forPrincipal(c.principal)).ability) } };
    } catch (e) {
      if (e instanceof GatewayError && e.status === 401) return { input, loaded: { access: view(buildAbility(deps.policies, [])), refused: e } };
      if (e instanceof GatewayError) throw e;
      throw fail('store_unavailable', 'the gateway state store did not answer; try again', {}, e);
    }
  }

  const trinoDetails = (input: Input, more: Record<string, unknown> = {}): Record<string, unknown> => ({
    trino: { operation: input.action.operation, queryId: input.context.queryId ?? null, trinoVersion: input.context.softwareStack?.trinoVersion ?? null },
    ...more,
  });

  const record = (req: Request, res: Response, o: Omit<Outcome, 'status'>) => recordOutcome(deps, req, res, { status: 200, ...o });
  /** The audit reason: the refusal when the subject has no access now, else `otherwise`. */
  const why = (loaded: Loaded, otherwise: string): string => (loaded.refused ? `${loaded.refused.code}: ${loaded.refused.message}` : otherwise);

  /** One decision (opa.policy.uri): {"result": true|false} (schema/OpaQueryResult.java). */
  r.post('/v1/trino/allow', trinoToken, json, async (req, res) => {
    const { input, loaded } = await begin(req, res);
    const op = input.action.operation;
    const d = decide(loaded.access, op, input.action.resource);
    const reason = why(loaded, d.allowed ? `${op} on ${d.target} granted by ${d.grantIds.join(', ')}` : `${op} on ${d.target}: not granted (deny by default)`);
    await record(req, res, { decision: d.allowed ? 'allow' : 'deny', reason, resource: d.target, columns: d.columns, grantIds: d.allowed ? d.grantIds : undefined, details: trinoDetails(input) });
    res.json({ result: d.allowed });
  });

  /** Filter operations (opa.policy.batched-uri): {"result": [indexes allowed]} (schema/OpaBatchQueryResult.java). */
  r.post('/v1/trino/batch', trinoToken, json, async (req, res) => {
    const { input, loaded } = await begin(req, res);
    const op = input.action.operation;
    const items = input.action.filterResources ?? [];
    const decisions = decideBatch(loaded.access, op, items);
    const result: number[] = [];
    const allowed: string[] = [];
    const denied: string[] = [];
    decisions.forEach((d, i) => {
      const name = d.columns?.length === 1 && op === 'FilterColumns' ? `${d.target}.${d.columns[0]}` : d.target;
      if (d.allowed) result.push(i);
      (d.allowed ? allowed : denied).push(name);
    });
    const grantIds = [...new Set(decisions.flatMap((d) => d.grantIds))];
    const reason = why(loaded, `${op}: ${result.length} of ${decisions.length} allowed`);
    await record(req, res, {
      decision: result.length > 0 ? 'allow' : 'deny',
      reason,
      resource: [...new Set(decisions.map((d) => d.target))].join(', ').slice(0, 255) || null,
      grantIds: result.length > 0 ? grantIds : undefined,
      details: trinoDetails(input, { allowedCount: allowed.length, deniedCount: denied.length, allowed: allowed.slice(0, LISTED), denied: denied.slice(0, LISTED) }),
    });
    res.json({ result });
  });

  /** GetRowFilters (opa.policy.row-filters-uri): {"result": [{"expression"}]} (schema/OpaRowFiltersQueryResult.java). */
  r.post('/v1/trino/row-filters', trinoToken, json, async (req, res) => {
    const { input, loaded } = await begin(req, res);
    const table = input.action.resource?.table;
    if (input.action.operation !== 'GetRowFilters' || !table) throw fail('invalid_body', 'the row-filters endpoint takes GetRowFilters on a table');
    const answer = rowFilters(loaded.access, table);
    const reason = why(loaded, answer.result.length ? "rows limited by the roles' row rules" : 'no row filter: every row may be read');
    await record(req, res, { decision: 'allow', reason, resource: answer.target, details: trinoDetails(input, { rowFilter: answer.result[0]?.expression ?? null }) });
    res.json({ result: answer.result });
  });

  /** GetColumnMask, batched (opa.policy.batch-column-masking-uri): {"result": [{"index", "viewExpression"}]} (schema/OpaBatchColumnMaskQueryResult.java). */
  r.post('/v1/trino/column-masks', trinoToken, json, async (req, res) => {
    const { input, loaded } = await begin(req, res);
    const items = input.action.filterResources;
    if (input.action.operation !== 'GetColumnMask' || !items) throw fail('invalid_body', 'the column-masks endpoint takes GetColumnMask with filterResources');
    const answer = columnMasks(loaded.access, items);
    const reason = why(loaded, `${answer.masked.length} of ${items.length} columns masked`);
    await record(req, res, { decision: 'allow', reason, resource: answer.targets.join(', ').slice(0, 255) || null, columns: answer.masked.slice(0, LISTED), details: trinoDetails(input, { maskedCount: answer.masked.length }) });
    res.json({ result: answer.result });
  });

  return r;
}
