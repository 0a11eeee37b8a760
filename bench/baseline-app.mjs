// What both ungoverned baselines share: the Express 5 app set up as the gateway's is (no x-powered-by,
// no ETag, the simple query parser, a 1 MB JSON body limit) and the 403 document the gateway answers
// for the denied workload, so every baseline answers the same bytes.
import express from 'express';

export const FORBIDDEN = JSON.stringify({
  type: 'urn:meshguard:problem:forbidden',
  title: 'Forbidden',
  status: 403,
  detail: 'you may not read hr.employees',
  code: 'forbidden',
  instance: '/v1/datasets/hr/employees/rows',
  requestId: '00000000-0000-0000-0000-000000000000',
  missing: 'read hr.employees',
});

export function baselineApp() {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '1mb', strict: true }));
  return app;
}
