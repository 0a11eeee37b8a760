// The gateway's HTTP server: Node's http server whose requests and responses are born with the app's
// own prototypes. Express 5 gives every request and response its app's prototypes (`app.request`,
// `app.response`) with Object.setPrototypeOf, on every request (app.handle). Changing an object's
// prototype after it was built makes V8 keep the request's objects alive past young-generation
// collections: measured with a bare Express app under 50 connections, 29 % of all it allocated was
// promoted to the old generation (under 0.1 % without the prototype change) and it answered about
// 16,500 requests/s against 65,000-78,000 when Node builds the objects from classes whose prototypes
// are the app's (then Express's Object.setPrototypeOf finds them in place and changes nothing).
// The objects are the same either way: the app's request and response methods, over Node's
// IncomingMessage and ServerResponse; a server made by anything else (supertest, app.listen) still
// gets them from Express as before.
import http from 'node:http';
import type { Express, Request, Response } from 'express';

/** Classes for http.createServer: instances have exactly `app.request` / `app.response` as prototype. */
export function appMessageClasses(app: Express): { IncomingMessage: typeof http.IncomingMessage; ServerResponse: typeof http.ServerResponse } {
  class AppRequest extends http.IncomingMessage {}
  class AppResponse extends http.ServerResponse {}
  adopt(AppRequest.prototype, app.request);
  adopt(AppResponse.prototype, app.response);
  // From now on these are the app's prototypes: what Express sets per request, and where anything
  // added later (the audit guard's writeHead, say) lands.
  app.request = AppRequest.prototype as unknown as Request;
  app.response = AppResponse.prototype as unknown as Response;
  return { IncomingMessage: AppRequest, ServerResponse: AppResponse as unknown as typeof http.ServerResponse };
}

/** `target` takes `source`'s place: the same prototype chain and the same own properties. */
function adopt(target: object, source: object): void {
  Object.setPrototypeOf(target, Object.getPrototypeOf(source));
  const { constructor: _, ...own } = Object.getOwnPropertyDescriptors(source); // the class keeps its own constructor
  Object.defineProperties(target, own);
}

/** http.createServer(app), with requests and responses built from the app's prototypes. */
export function createHttpServer(app: Express): http.Server {
  return http.createServer(appMessageClasses(app), app);
}
