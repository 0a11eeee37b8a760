// Property: whatever query string or body a caller sends to the management endpoints (audit,
// grants, revocations, suspensions, reviews, explain, guardrails, writes), the answer is never a 500:
// bad input is a 4xx problem+json with a stable code.
import fc from 'fast-check';
import { bearer, startTestGateway, type TestGateway } from '../helpers/test-gateway';

const WEIRD = [
  '', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', '2026-13-45', '2026-11-26', '2026-11-26T10:00:00Z',
  '30d', '0d', '99999999d', 'abc', '%', '%E0%A4%A', "'; drop table mg_audit; --", 'x'.repeat(300), '\u0000', '🦄', 'sales', 'sales.orders', 'csv', 'ndjson',
];
const PARAMS = ['subject', 'action', 'decision', 'domain', 'dataset', 'since', 'until', 'status', 'limit', 'cursor', 'format', 'unusedFor', 'expiringWithin', 'columns', 'on_conflict', 'dry_run', 'reason', 'bogus'];

const GETS = ['/v1/audit', '/v1/audit/export', '/v1/audit/summary', '/v1/audit/verify', '/v1/grants', '/v1/revocations', '/v1/reviews/grants', '/v1/explain', '/v1/guardrails', '/v1/me', '/v1/datasets'];
const POSTS = [
  '/v1/grants',
  '/v1/grants/nope/renew',
  '/v1/revocations',
  '/v1/subjects/zed/suspend',
  '/v1/subjects/zed/resume',
  '/v1/reviews/grants/apply',
  '/v1/guardrails/pauses/nope/resume',
  '/v1/datasets/marketing/bids/rows',
  '/v1/datasets/sales/orders/rows',
];

const jsonValue = fc.oneof(
  fc.constantFrom(...WEIRD),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.constantFrom(...WEIRD), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('id', 'bid', 'campaign_id', 'keyword', 'x'), fc.oneof(fc.integer(), fc.constantFrom(...WEIRD)), { maxKeys: 3 }),
);
const body = fc.dictionary(
  fc.constantFrom('subject', 'role', 'domain', 'reason', 'expiresAt', 'jti', 'issuedBefore', 'grantIds', 'rows', 'set', 'extra'),
  jsonValue,
  { maxKeys: 5 },
);

describe('no input to the management endpoints produces a 500', () => {
  let gw: TestGateway;
  const who: Record<string, Record<string, string>> = {};

  beforeAll(async () => {
    gw = await startTestGateway();
    for (const s of ['dana', 'erin', 'carol', 'sam', 'alice']) who[s] = bearer(gw.token(s));
  });
  afterAll(() => gw.close());

  const check = (status: number, type: string | undefined, what: string) => {
    if (status >= 500) throw new Error(`${what} answered ${status}`);
    if (status >= 400 && !String(type).startsWith('application/problem+json')) throw new Error(`${what} answered ${status} without problem+json`);
  };

  it('GET with any query string', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(who)),
        fc.constantFrom(...GETS),
        fc.array(fc.tuple(fc.constantFrom(...PARAMS), fc.constantFrom(...WEIRD)), { maxLength: 4 }),
        async (subject, path, params) => {
          const qs = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const r = await gw.http().get(`${path}${qs ? `?${qs}` : ''}`).set(who[subject]);
          check(r.status, r.headers['content-type'], `GET ${path}?${qs} as ${subject}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('POST with any JSON body and query string', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(who)),
        fc.constantFrom(...POSTS),
        fc.array(fc.tuple(fc.constantFrom(...PARAMS), fc.constantFrom(...WEIRD)), { maxLength: 2 }),
        body,
        fc.option(fc.constantFrom(...WEIRD)),
        async (subject, path, params, payload, idempotencyKey) => {
          const qs = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          let req = gw.http().post(`${path}${qs ? `?${qs}` : ''}`).set(who[subject]);
          if (idempotencyKey !== null && !/[\u0000-\u001f\u007f-\uffff]/.test(idempotencyKey)) req = req.set('Idempotency-Key', idempotencyKey);
          const r = await req.send(payload);
          check(r.status, r.headers['content-type'], `POST ${path}?${qs} as ${subject} with ${JSON.stringify(payload).slice(0, 200)}`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('DELETE a grant and PATCH rows with any id, filters and body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(who)),
        fc.constantFrom(...WEIRD),
        fc.array(fc.tuple(fc.constantFrom('id', 'bid', 'keyword', 'status', 'bogus'), fc.constantFrom('eq.', 'gt.', 'in.(', 'is.', ''), fc.constantFrom(...WEIRD)), { maxLength: 2 }),
        body,
        async (subject, id, filters, payload) => {
          const del = await gw.http().delete(`/v1/grants/${encodeURIComponent(id)}?reason=${encodeURIComponent(id)}`).set(who[subject]);
          check(del.status, del.headers['content-type'], `DELETE /v1/grants/${id} as ${subject}`);
          const qs = filters.map(([k, op, v]) => `${k}=${encodeURIComponent(op + v)}`).join('&');
          const patch = await gw.http().patch(`/v1/datasets/marketing/bids/rows?${qs}`).set(who[subject]).send(payload);
          check(patch.status, patch.headers['content-type'], `PATCH bids?${qs} as ${subject} with ${JSON.stringify(payload).slice(0, 200)}`);
        },
      ),
      { numRuns: 200 },
    );
  });
});
