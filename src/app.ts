// buildApp(deps): wires middleware and routes; no listen (tests import this and use supertest).
import express from 'express';
import type { AppDeps } from './app-deps';
import { authenticate } from './http/authenticate';
import { limitReads } from './http/limit-reads';
import { auditRoutes } from './http/routes/audit-routes';
import { notFound, problemHandler } from './http/problem';
import { requestContext } from './http/request-context';
import { datasetsRoutes } from './http/routes/datasets-routes';
import { explainRoutes } from './http/routes/explain-routes';
import { grantsRoutes } from './http/routes/grants-routes';
import { guardrailsRoutes } from './http/routes/guardrails-routes';
import { healthRoutes } from './http/routes/health-routes';
import { reviewsRoutes } from './http/routes/reviews-routes';
import { revocationsRoutes } from './http/routes/revocations-routes';
import { rowsRoutes } from './http/routes/rows-routes';
import { subjectsRoutes } from './http/routes/subjects-routes';

export const MAX_BODY = '1mb';

export function buildApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestContext);
  app.use(healthRoutes(deps));
  app.use('/v1', authenticate(deps));
  app.use('/v1', limitReads(deps));
  app.use(express.json({ limit: MAX_BODY, strict: true }));
  app.use(datasetsRoutes(deps));
  app.use(rowsRoutes(deps));
  app.use(grantsRoutes(deps));
  app.use(guardrailsRoutes(deps));
  app.use(auditRoutes(deps));
  app.use(revocationsRoutes(deps));
  app.use(subjectsRoutes(deps));
  app.use(reviewsRoutes(deps));
  app.use(explainRoutes(deps));
  app.use(notFound);
  app.use(problemHandler(deps));
  return app;
}
