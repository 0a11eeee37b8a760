// The web console (issue 18): GET /console/ (the page), /console/assets/:file (its script and styles,
// bundled by `npm run build` into dist/console) and /console/config.json (how to sign in: the OIDC
// issuer and the console's client id when one is configured, a static description like the files).
// Public like /docs: the files say nothing about anyone; every call the console makes is an API call
// carrying the signed-in subject's token, through the same authorisation and audit as curl's.
// The page runs under a strict Content-Security-Policy: only its own script and styles, calls only
// to this gateway (and to the identity provider when OIDC sign-in is configured), no framing.
import fs from 'node:fs';
import path from 'node:path';
import type { Response, Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { fail } from '../../errors';
import { ctx } from '../request-context';
import { router } from '../router';

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.html': 'text/html; charset=utf-8' };

export function consoleCsp(oidcIssuer?: string): string {
  // The authorization-code exchange is a fetch to the provider's token endpoint: its origin is the one addition.
  const connect = oidcIssuer ? `'self' ${new URL(oidcIssuer).origin}` : "'self'";
  return `default-src 'none'; script-src 'self'; style-src 'self'; connect-src ${connect}; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

interface ConsoleFile {
  type: string;
  body: Buffer;
}

/** The built files, read once at start-up (a few hundred KB): no file system access per request. */
function loadFiles(dir: string): { page?: Buffer; assets: Map<string, ConsoleFile> } {
  const assets = new Map<string, ConsoleFile>();
  let page: Buffer | undefined;
  try {
    page = fs.readFileSync(path.join(dir, 'index.html'));
    for (const name of fs.readdirSync(path.join(dir, 'assets'))) {
      const type = TYPES[path.extname(name)];
      if (type && /^[A-Za-z0-9._-]+$/.test(name)) assets.set(name, { type, body: fs.readFileSync(path.join(dir, 'assets', name)) });
    }
  } catch {
    page = undefined;
  }
  return { page, assets };
}

export function consoleRoutes(deps: AppDeps): Router {
  const r = router();
  const { page, assets } = loadFiles(deps.config.console.dir);
  const csp = consoleCsp(deps.config.jwt.oidcIssuer);
  const oidc = deps.config.jwt.oidcIssuer && deps.config.console.clientId ? { issuer: deps.config.jwt.oidcIssuer, clientId: deps.config.console.clientId } : null;
  const config = JSON.stringify({ oidc });

  const answer = (res: Response, type: string, body: Buffer | string) => {
    ctx(res).public = true;
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
    res.send(body);
  };
  const notBuilt = (res: Response) => {
    ctx(res).public = true;
    return fail('not_found', 'the console is not built: run npm run build');
  };

  r.get('/console', (_req, res) => {
    ctx(res).public = true;
    res.redirect(308, '/console/');
  });
  r.get('/console/', (_req, res) => {
    if (!page) throw notBuilt(res);
    answer(res, TYPES['.html'], page);
  });
  r.get('/console/config.json', (_req, res) => answer(res, 'application/json; charset=utf-8', config));
  r.get('/console/assets/:file', (req, res) => {
    const file = assets.get(req.params.file);
    if (!file) {
      if (!page) throw notBuilt(res);
      ctx(res).public = true;
      throw fail('not_found', 'no such file of the console');
    }
    answer(res, file.type, file.body);
  });
  return r;
}
