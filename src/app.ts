// buildApp(deps): wires middleware and routes; no listen (tests import this and use supertest).
import express from 'express';
import type { AppDeps } from './app-deps';
import { authenticate } from './http/authenticate';
import { limitReads } from './http/limit-reads';
import { adminRoutes } from './http/routes/admin-routes';
import { apiDocsRoutes } from './http/routes/api-docs-routes';
import { auditRoutes } from './http/routes/audit-routes';
import { consoleRoutes } from './http/routes/console-routes';
import { notFound, problemHandler } from './http/problem';
import { requestContext } from './http/request-context';
import { installAuditGuard } from './http/audit-guard';
import { limitQuery, parseQueryString } from './http/limit-query';
import { ROUTING, inSequence, mountRoutes } from './http/router';
import { SHARING_PREFIX } from './http/public-url';
import { datasetsRoutes } from './http/routes/datasets-routes';
import { deltaSharingRoutes } from './http/routes/delta-sharing-routes';
import { explainRoutes } from './http/routes/explain-routes';
import { grantsRoutes } from './http/routes/grants-routes';
import { guardrailsRoutes } from './http/routes/guardrails-routes';
import { healthRoutes } from './http/routes/health-routes';
import { metricsRoutes } from './http/routes/metrics-routes';
import { queryRoutes } from './http/routes/query-routes';
import { reviewsRoutes } from './http/routes/reviews-routes';
import { revocationsRoutes } from './http/routes/revocations-routes';
import { rowsRoutes } from './http/routes/rows-routes';
import { sharesRoutes } from './http/routes/shares-routes';
import { subjectsRoutes } from './http/routes/subjects-routes';
import { trinoRoutes } from './http/routes/trino-routes';

export const MAX_BODY = '1mb';

export function buildApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // Before the first app.use (Express builds its router then): paths match exactly, see http/router.ts.
  app.set('case sensitive routing', ROUTING.caseSensitive);
  app.set('strict routing', ROUTING.strict);
  app.set('query parser', parseQueryString);
  // Every answer of the app passes the audit door (http/audit-guard.ts); each group of middleware below
  // is one layer of the app's stack (http/router.ts inSequence).
  installAuditGuard(app, deps);
  app.use(inSequence(requestContext, ...(deps.metrics ? [deps.metrics.observe] : [])));
  // The only public routes (/healthz, /readyz); every other request, whatever its path, is authenticated first, and each
  // refusal (a 404 included) is audited by the problem handler with the subject when there is one.
  mountRoutes(app, healthRoutes(deps));
  // The API description (/openapi.json, /docs) is public too: it says nothing about anyone.
  mountRoutes(app, apiDocsRoutes(deps));
  // The console's files are public as well; the API calls it makes carry the signed-in subject's token.
  mountRoutes(app, consoleRoutes(deps));
  // Delta Sharing recipients (issue 15) authenticate with their profile's token, not a JWT, and reach
  // only the protocol's routes: the router answers every path under it, refusals in the protocol's JSON.
  app.use(SHARING_PREFIX, deltaSharingRoutes(deps));
  // Trino's OPA plugin (issue 16) has no JWT: its endpoints authenticate the Trino token themselves,
  // and exist only when MESHGUARD_TRINO_TOKEN is set (else their paths meet the JWT door like any other).
  if (deps.config.trino) mountRoutes(app, trinoRoutes(deps));
  app.use(inSequence(authenticate(deps), limitQuery, limitReads(deps), express.json({ limit: MAX_BODY, strict: true })));
  const apiRoutes = [datasetsRoutes, rowsRoutes, metricsRoutes, queryRoutes, grantsRoutes, sharesRoutes, guardrailsRoutes, auditRoutes, revocationsRoutes, subjectsRoutes, reviewsRoutes, explainRoutes, adminRoutes];
  for (const routes of apiRoutes) mountRoutes(app, routes(deps));
  app.use(notFound);
  app.use(problemHandler(deps));
  return app;
}
