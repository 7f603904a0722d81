import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { GatewayMetrics } from './metrics.js';
import { requestIdFrom, type OperationObserver, type OperationRecord } from './observer.js';

/**
 * Gives every HTTP request an id: the client's `X-Request-Id` when acceptable (1-128 of `A-Za-z0-9_.-`),
 * a new UUID otherwise. The id is echoed as the `X-Request-Id` response header and written back into the
 * request headers, so the GraphQL context (src/context.ts, `creds.requestId`), change records and logs all
 * use the same one.
 */
export function requestIdMiddleware(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const id = requestIdFrom(req.header('x-request-id'));
    req.headers['x-request-id'] = id;
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    next();
  };
}

/** The operation record of an HTTP request to /graphql (set by `graphqlObserverMiddleware`). */
export function httpOperation(res: Response): OperationRecord | undefined {
  return res.locals.operation as OperationRecord | undefined;
}

/**
 * Wraps each request to /graphql in an operation record (kept in `res.locals`, handed to the GraphQL
 * context and so to the Apollo plugin) and reports it when the response is finished, or when the client
 * goes away first.
 */
export function graphqlObserverMiddleware(observer: OperationObserver): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // Operations only: not CORS preflights, nor a browser's GET of the GraphiQL page.
    if (req.method !== 'POST' && !(req.method === 'GET' && req.query.query !== undefined)) {
      next();
      return;
    }
    const rec = observer.start('http', (res.locals.requestId as string | undefined) ?? requestIdFrom(req.header('x-request-id')));
    const done = () => {
      rec.httpStatus = res.statusCode;
      observer.finish(rec);
    };
    res.once('finish', done);
    res.once('close', done);
    res.locals.operation = rec;
    next();
  };
}

/**
 * `GET /metrics` in the Prometheus text format. With a token, the scraper must send
 * `Authorization: Bearer <token>` (401 otherwise).
 */
export function metricsHandler(metrics: GatewayMetrics, token: string | undefined): RequestHandler {
  const expected = token ? digest(`Bearer ${token}`) : undefined;
  return async (req: Request, res: Response, next: NextFunction) => {
    if (expected && !timingSafeEqual(digest(req.header('authorization') ?? ''), expected)) {
      res.status(401).set('WWW-Authenticate', 'Bearer realm="metrics"').type('text/plain').send('metrics require Authorization: Bearer <CRATON_METRICS_TOKEN>\n');
      return;
    }
    try {
      const text = await metrics.render();
      res.status(200).set('Content-Type', metrics.contentType).set('Cache-Control', 'no-store').send(text);
    } catch (err) {
      next(err);
    }
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
