// The node:http listener: the MCP routes (exact paths, e.g. POST /mcp) skip Express's router and run their
// middleware chain directly; every other request goes to the Express app unchanged. The chain is built by
// app.ts from the same middleware instances, in the same order, as the Express app runs for those paths, so the
// behaviour is the same; what is saved is the router's per-request work (matching every layer's path, nested
// routers, the parameter and bookkeeping machinery around each step).
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { JsonRpcCode, sendError } from '../runtime/jsonrpc-error.ts';

export interface FastRoutes {
  /** The whole chain for this method on exactly this path, or undefined: the Express app serves the request. */
  chainFor(method: string, path: string): readonly RequestHandler[] | undefined;
  /** What Express answers when every handler passed the request on (the app's last handler). */
  notFound: RequestHandler;
  /** The app's error handler. */
  onError: ErrorRequestHandler;
}

export function createHttpListener(app: Express, routes: FastRoutes): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const chain = routes.chainFor(req.method ?? 'GET', query === -1 ? url : url.slice(0, query));
    if (chain === undefined) {
      app(req, res);
      return;
    }
    runChain(adopt(app, req, res), res as Response, chain, routes);
  };
}

/** What Express's app.handle and router set up before the first middleware runs. */
function adopt(app: Express, req: IncomingMessage, res: ServerResponse): Request {
  if (app.enabled('x-powered-by')) res.setHeader('X-Powered-By', 'Express');
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
  const request = req as Request;
  const response = res as Response;
  request.res = response;
  response.req = request;
  response.locals ??= Object.create(null);
  request.baseUrl = '';
  request.originalUrl = req.url ?? '/';
  request.params = {};
  return request;
}

/**
 * Runs the handlers in order, as Express does: next() goes on (after the last one, to the app's "not found"),
 * next(error) skips to the error handler, and a handler that throws or returns a rejected promise counts as
 * next(error).
 */
function runChain(req: Request, res: Response, chain: readonly RequestHandler[], routes: FastRoutes): void {
  let index = 0;
  let failed = false;
  const fail = (error: unknown) => {
    // Once the error handler itself failed, answer without it (no details), as Express's final handler would.
    if (failed) return lastResort(req, res, error);
    failed = true;
    index = chain.length + 1;
    invoke(() => routes.onError(error, req, res, (again?: unknown) => lastResort(req, res, again ?? error)), fail);
  };
  const next: NextFunction = (error?: unknown) => {
    if (error !== undefined && error !== null && error !== 'route' && error !== 'router') return fail(error);
    if (index > chain.length) return;
    const handler = (index < chain.length ? chain[index] : routes.notFound) as RequestHandler;
    index++;
    invoke(() => handler(req, res, next), next);
  };
  req.next = next;
  next();
}

function invoke(call: () => unknown, next: (error?: unknown) => void): void {
  try {
    const result = call() as PromiseLike<unknown> | undefined;
    if (typeof result?.then === 'function')
      result.then(undefined, (error: unknown) => next(error ?? new Error('Rejected promise')));
  } catch (error) {
    next(error);
  }
}

function lastResort(req: Request, res: Response, error: unknown): void {
  req.log.error({ error: { message: (error as Error | undefined)?.message } }, 'the error handler failed');
  sendError(req, res, 500, JsonRpcCode.InternalError, `Internal error (request id ${req.id}).`);
}
