// Keyset pages of GET /v1/datasets/:domain/:dataset/rows (JSON). `?page_size=N` (with any filters,
// select, order; no limit or offset) answers `{ columns, rows, nextCursor }`; `?cursor=<nextCursor>`
// answers the next page, nextCursor null on the last one. The cursor (read-cursor.ts) carries the
// query, so it is sent alone or with exactly the first page's parameters. Each page is planned again
// under the caller's current access and audited like any read; a cursor is refused with 403
// cursor_revoked once a grant that authorised its first page is gone or the token that opened it
// is revoked, even when another grant would allow the read.
import type { Request, Response } from 'express';
import type { AppDeps } from '../app-deps';
import { GatewayError, fail } from '../errors';
import type { DatasetInfo } from '../policy/load-policies';
import type { KeyValue } from '../query/keyset';
import { planRead, type ReadPlan } from '../query/plan-read';
import { openRead, type KeyedReadCursor, type ReadCursor } from '../stores/execute-read';
import { PAGE_PARAMS, parsePageSize, parseQuery } from './parse-query';
import { MAX_CURSOR_CHARS, openCursor, sealCursor, type CursorPayload } from './read-cursor';
import { ctx, type RequestContext } from './request-context';
import { jsonRows, type RowEncoder } from './row-encoder';
import { sendRows } from './send-rows';

type Params = Record<string, string | string[]>;
type Outcome = { status: number; columns: string[]; rowCount: number | null; details?: Record<string, unknown> };
/** Records an allowed read naming the grants of its plan (rows-routes.ts). */
export type Granted = (req: Request, res: Response, what: string, plan: { grantIds: string[] }, o: Outcome) => Promise<void>;

/** The first page's query, as JSON, is at most this long: its cursors must fit in a URL. */
const MAX_QUERY_CHARS = 4096;

export const isPageRequest = (q: Record<string, unknown>): boolean => PAGE_PARAMS.some((p) => q[p] !== undefined);

interface Page {
  query: Params;
  size: number;
  after: KeyValue[] | null;
  number: number;
  issuedAt: number;
  /** From the cursor: the grants that authorised the first page. */
  grantIds?: string[];
  tokenId?: string;
  tokenIssuedAt?: number;
}

const canonical = (p: Params) => JSON.stringify(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function firstPage(deps: AppDeps, c: RequestContext, q: Record<string, unknown>): Page {
  if (q.limit !== undefined || q.offset !== undefined) throw fail('bad_request', 'page_size pages with cursors: leave out limit and offset', { parameter: q.limit !== undefined ? 'limit' : 'offset' });
  const size = parsePageSize(q);
  const query: Params = {};
  for (const [name, v] of Object.entries(q)) {
    if (typeof v !== 'string' && !(Array.isArray(v) && v.every((x) => typeof x === 'string'))) throw fail('bad_request', `parameter ${name} must be text`);
    query[name] = v;
  }
  if (JSON.stringify(query).length > MAX_QUERY_CHARS) {
    throw fail('bad_request', `the query is too long to page with a cursor (over ${MAX_QUERY_CHARS} characters); narrow it or use limit and offset`);
  }
  const p = c.principal!;
  return { query, size, after: null, number: 1, issuedAt: deps.clock.now().getTime(), tokenId: p.tokenId, tokenIssuedAt: p.issuedAt };
}

async function laterPage(deps: AppDeps, c: RequestContext, ds: DatasetInfo, q: Record<string, unknown>): Promise<Page> {
  const p = openCursor(deps.cursorKeys, q.cursor);
  if (p.sub !== c.principal!.subject || p.ds !== ds.key) throw fail('invalid_cursor', 'this cursor was issued to another subject or for another dataset; start again without it');
  const rest = Object.fromEntries(Object.entries(q).filter(([name]) => name !== 'cursor')) as Params;
  if (Object.keys(rest).length && canonical(rest) !== canonical(p.q)) {
    throw fail('invalid_cursor', 'the cursor carries its query: send it alone, or with exactly the parameters of the first page');
  }
  await refuseIfRevoked(deps, c, p);
  return { query: p.q, size: p.n, after: p.k, number: p.page, issuedAt: p.iat, grantIds: p.g, tokenId: p.tid, tokenIssuedAt: p.tiat };
}

/** 403 cursor_revoked when what opened the cursor is no longer in force (authentication checked only the current token). */
async function refuseIfRevoked(deps: AppDeps, c: RequestContext, p: CursorPayload): Promise<void> {
  const active = new Set(c.access!.grants.map((g) => g.id));
  const gone = p.g.filter((id) => !active.has(id));
  if (gone.length) {
    throw fail('cursor_revoked', `a grant that authorised this cursor's first page is no longer in force (revoked or expired): ${gone.join(', ')}; start again without the cursor`, { grants: gone });
  }
  const me = c.principal!;
  if (p.tid === me.tokenId && p.tiat === me.issuedAt) return;
  try {
    await deps.access.forPrincipal({ subject: p.sub, tokenId: p.tid, issuedAt: p.tiat, expiresAt: 0 });
  } catch (e) {
    if (e instanceof GatewayError && (e.code === 'token_revoked' || e.code === 'subject_suspended')) {
      throw fail('cursor_revoked', 'the token that opened this cursor has been revoked; start again without the cursor', {}, e);
    }
    throw e;
  }
}

/** At most `size` rows of `inner`; one more is read (never sent) to tell whether a next page exists. */
function onePage(inner: KeyedReadCursor, size: number, seal: (key: KeyValue[]) => string): ReadCursor & { readonly nextCursor: string | null } {
  let sent = 0;
  let done = false;
  let next: string | null = null;
  return {
    columns: inner.columns,
    get done() {
      return done;
    },
    get nextCursor() {
      return next;
    },
    async read(maxRows, maxChars) {
      if (done) return [];
      const rows = await inner.read(Math.min(maxRows, size - sent), maxChars);
      sent += rows.length;
      if (sent >= size) {
        const key = inner.lastKey()!;
        if ((await inner.read(1, maxChars)).length) next = seal(key);
        done = true;
      } else if (inner.done) done = true;
      return rows;
    },
    close: () => inner.close(),
  };
}

/** `{ columns, rows, nextCursor }`, nextCursor known only once the page's last row is read. */
function pageRows(page: { readonly nextCursor: string | null }): RowEncoder {
  return jsonRows(() => ({ nextCursor: page.nextCursor }));
}

/** `query`: the request's query parameters (without a `format=json`, which only says what pages already are). */
export async function readPage(deps: AppDeps, req: Request, res: Response, ds: DatasetInfo, granted: Granted, query: Record<string, unknown> = req.query as Record<string, unknown>): Promise<void> {
  const c = ctx(res);
  const q = query;
  const page = q.cursor === undefined ? firstPage(deps, c, q) : await laterPage(deps, c, ds, q);
  const spec = { ...parseQuery(page.query, ds.columnNames, ['page_size']), limit: page.size + 1, offset: 0 };
  c.columns = spec.select;
  const store = deps.stores.get(ds.store)!;
  const plan: ReadPlan = planRead(c.access!.ability, ds, spec, store.dialect, { after: page.after });
  c.fingerprint = plan.fingerprint;
  const seal = (key: KeyValue[]) => {
    const token = sealCursor(deps.cursorKeys, {
      sub: c.principal!.subject,
      ds: ds.key,
      q: page.query,
      n: page.size,
      k: key,
      g: page.grantIds ?? plan.grantIds,
      iat: page.issuedAt,
      page: page.number + 1,
      ...(page.tokenId !== undefined && { tid: page.tokenId }),
      ...(page.tokenIssuedAt !== undefined && { tiat: page.tokenIssuedAt }),
    });
    if (token.length > MAX_CURSOR_CHARS) throw fail('bad_request', 'the sort key of the last row is too long to carry in a cursor; order on shorter columns');
    return token;
  };
  const rows = onePage(openRead(store, plan, deps.mask), page.size, seal);
  const columns = rows.columns;
  const cursor = { page: page.number, issuedAt: new Date(page.issuedAt).toISOString() };
  await sendRows(deps, req, res, rows, pageRows(rows), {
    allow: (rowCount, details) => granted(req, res, 'read', plan, { status: 200, columns, rowCount, details: { ...details, cursor } }),
    ended: (rowCount, details) => granted(req, res, 'read', plan, { status: 200, columns, rowCount, details: { ...details, cursor, completes: c.auditId } }),
    stillAllowed: () => deps.access.stillHolds(c.principal!, plan.grantIds),
  });
}
