// Every router of the gateway matches paths exactly: case-sensitive (`/V1/me` is not `/v1/me`) and
// strict (`/v1/me/` is not `/v1/me`). A path spelled any other way names no endpoint: a 404, which
// is audited like any other refusal, so no spelling of a path slips past a check made on another.
import type { Express, RequestHandler, Router } from 'express';
import { Router as createRouter } from 'express';

export const ROUTING = { caseSensitive: true, strict: true } as const;

export const router = (): Router => createRouter(ROUTING);

interface Layer {
  route?: unknown;
}

/**
 * Adds the routes of one routes file to the app's own router, at this point of its stack. Mounted as
 * a router of its own instead, each file is a dispatch every request passes through (a nested
 * router's handle, its prefix trimming and closures: ~16 KB allocated per request across the
 * gateway's files, the read path's profile showed); its routes in the app's stack are one path match
 * each. Only routes: a middleware in the file would apply to every later route of the app.
 */
export function mountRoutes(app: Express, routes: Router): void {
  const stack = (routes as unknown as { stack: Layer[] }).stack;
  if (stack.some((layer) => !layer.route)) throw new Error('mountRoutes takes a router of routes only');
  (app.router as unknown as { stack: Layer[] }).stack.push(...stack);
}

/**
 * Middleware that run one after the other as one layer of the app's stack. Each layer is a dispatch
 * every request passes through (its path match, parameter processing and closures: allocated per
 * request and per layer), so the gateway's fixed chains (the request's context and audit door; the
 * JWT door, query and read limits and body parser) are a layer each. Each handler is called as Express
 * calls a layer's: `next()` goes on to the next handler, `next(err)` (or a throw, or a rejected
 * promise) leaves the sequence for the app's error handling, and the last `next()` leaves it for the
 * app's next layer.
 */
export function inSequence(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    let i = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) return next(err);
      const handler = handlers[i++];
      if (!handler) return next();
      try {
        const ret = handler(req, res, step) as unknown;
        if (ret instanceof Promise) ret.then(undefined, (e: unknown) => step(e ?? new Error('Rejected promise')));
      } catch (e) {
        step(e);
      }
    };
    step();
  };
}
