// GET /openapi.json (the OpenAPI 3.1 document, generated from the schemas the routes validate with)
// and GET /docs (a reference page rendered from it by Swagger UI, whose files come from the
// swagger-ui-dist package in node_modules: nothing is fetched from a CDN). Public, like /healthz: they
// describe the API's shape, nothing about its data or its subjects, so they are not audited as
// decisions. The page runs under a Content-Security-Policy that allows only the gateway's own files.
import fs from 'node:fs';
import path from 'node:path';
import type { Response, Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { openapiDocument } from '../openapi/openapi-document';
import { ctx } from '../request-context';
import { router } from '../router';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>meshguard API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="reference"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

// A file of its own, not an inline script: the CSP allows no inline script.
const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true, validatorUrl: 'none', tryItOutEnabled: false });\n`;

const SWAGGER_UI = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, { type: string; file?: string; text?: string }> = {
  'swagger-ui.css': { type: 'text/css; charset=utf-8', file: 'swagger-ui.css' },
  'swagger-ui-bundle.js': { type: 'text/javascript; charset=utf-8', file: 'swagger-ui-bundle.js' },
  'init.js': { type: 'text/javascript; charset=utf-8', text: INIT },
};

const publicAnswer = (res: Response, type: string) => {
  ctx(res).public = true;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-cache');
};

export function apiDocsRoutes(deps: AppDeps): Router {
  const r = router();
  const document = JSON.stringify(openapiDocument(deps.policies.version ? `policy ${deps.policies.version}` : '1'));

  r.get('/openapi.json', (_req, res) => {
    publicAnswer(res, 'application/json; charset=utf-8');
    res.send(document);
  });
  r.get('/docs', (_req, res) => {
    publicAnswer(res, 'text/html; charset=utf-8');
    res.send(PAGE);
  });
  r.get('/docs/assets/:file', (req, res) => {
    ctx(res).public = true;
    const asset = Object.hasOwn(ASSETS, req.params.file) ? ASSETS[req.params.file] : undefined;
    if (!asset) throw fail('not_found', 'no such file of the reference page');
    publicAnswer(res, asset.type);
    if (asset.text !== undefined) return void res.send(asset.text);
    fs.createReadStream(path.join(SWAGGER_UI, asset.file!)).on('error', (e) => res.destroy(e)).pipe(res);
  });
  return r;
}
