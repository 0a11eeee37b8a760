// inSequence runs middleware as one layer of an Express app: in order, each going on with next(), any
// error (passed to next, thrown, or a rejected promise) leaving for the app's error handler, and the
// last next() going on to the app's next layer; a handler that answers ends the request there.
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import request from 'supertest';
import { inSequence } from '../../src/http/router';

function appWith(...handlers: RequestHandler[]) {
  const app = express();
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.locals.seen = [];
    next();
  });
  app.use(inSequence(...handlers));
  app.get('/x', (_req, res) => void res.json({ seen: res.locals.seen, reached: 'route' }));
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => void res.status(418).json({ seen: res.locals.seen, error: err.message }));
  return app;
}

const mark =
  (name: string): RequestHandler =>
  (_req, res, next) => {
    res.locals.seen.push(name);
    next();
  };

describe('inSequence', () => {
  it('runs every handler in order, then the next layer', async () => {
    const r = await request(appWith(mark('a'), mark('b'), mark('c'))).get('/x');
    expect(r.body).toEqual({ seen: ['a', 'b', 'c'], reached: 'route' });
  });

  it('goes on from a handler that calls next later', async () => {
    const later: RequestHandler = (_req, res, next) => {
      setImmediate(() => {
        res.locals.seen.push('later');
        next();
      });
    };
    const r = await request(appWith(mark('a'), later, mark('c'))).get('/x');
    expect(r.body).toEqual({ seen: ['a', 'later', 'c'], reached: 'route' });
  });

  it.each([
    ['next(err)', ((_req, _res, next) => next(new Error('passed'))) as RequestHandler, 'passed'],
    ['a throw', (() => {
      throw new Error('thrown');
    }) as RequestHandler, 'thrown'],
    ['a rejected promise', (async () => {
      throw new Error('rejected');
    }) as RequestHandler, 'rejected'],
  ])('leaves for the error handler on %s, skipping the rest', async (_what, failing, message) => {
    const r = await request(appWith(mark('a'), failing, mark('c'))).get('/x');
    expect(r.status).toBe(418);
    expect(r.body).toEqual({ seen: ['a'], error: message });
  });

  it('ends where a handler answers', async () => {
    const answer: RequestHandler = (_req, res) => void res.status(401).json({ seen: res.locals.seen, answered: true });
    const r = await request(appWith(mark('a'), answer, mark('c'))).get('/x');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ seen: ['a'], answered: true });
  });

  it('with no handlers, goes straight on', async () => {
    const r = await request(appWith()).get('/x');
    expect(r.body).toEqual({ seen: [], reached: 'route' });
  });
});
