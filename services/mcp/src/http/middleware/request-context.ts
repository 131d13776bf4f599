// Request id (X-Request-Id accepted when sane, else generated; always returned), one access-log line per request,
// and the HTTP metrics. Only method, path, status, duration and ids are logged: never headers or bodies, so no
// credential can reach the logs from here.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../../runtime/metrics.ts';

const MAX_LOGGED_HEADER = 128;
const bounded = (value: string | undefined) =>
  value !== undefined && value.length > MAX_LOGGED_HEADER ? `${value.slice(0, MAX_LOGGED_HEADER - 1)}…` : value;

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Routes we label metrics with; anything else is "other" so random paths cannot blow up label cardinality. */
const KNOWN_ROUTES = ['/mcp', '/sse', '/messages', '/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'];

function routeLabel(path: string): string {
  if (KNOWN_ROUTES.includes(path)) return path;
  if (path.startsWith('/api/tools')) return '/api/tools';
  if (path.startsWith('/docs')) return '/docs';
  if (path.startsWith('/.well-known/')) return '/.well-known';
  return 'other';
}

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

type Level = 'debug' | 'info';

const PARENT_LOGGER = Symbol('parent logger');
const CHILD_LOGGER = Symbol('request logger');
type LoggedRequest = Request & { [PARENT_LOGGER]: Logger; [CHILD_LOGGER]?: Logger };

/**
 * `req.log`, the request's child logger, made on first use (most requests log nothing but the access line). The
 * getter sits on the requests' prototype (Express's app.request), defined once: a getter defined on each request
 * would give every request object a shape of its own, which slows every later property access on it.
 */
function lazyLogOn(prototype: object): void {
  if (Object.hasOwn(prototype, 'log')) return;
  Object.defineProperty(prototype, 'log', {
    configurable: true,
    get(this: LoggedRequest) {
      this[CHILD_LOGGER] ??= this[PARENT_LOGGER].child({ reqId: this.id });
      return this[CHILD_LOGGER];
    },
  });
}

export function requestContext(logger: Logger, metrics: Metrics) {
  // The access line's keys are fixed and none names a credential, so the key-based redaction (the second line of
  // defence for objects logged elsewhere) can find nothing in it; without it the line costs half as much.
  const accessLog = logger.child({}, { redact: [] });

  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const id = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    (req as LoggedRequest)[PARENT_LOGGER] = logger;
    lazyLogOn(Object.getPrototypeOf(req));
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req.path);
      metrics.httpRequests.labels(req.method, route, String(res.statusCode)).inc();
      metrics.httpDuration.labels(req.method, route).observe(seconds);
      // Health probes every few seconds would drown the log: they go to debug.
      const level: Level = route === '/healthz' || route === '/readyz' || route === '/metrics' ? 'debug' : 'info';
      if (!accessLog.isLevelEnabled(level)) return;
      accessLog[level](
        {
          reqId: req.id,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          durationMs: Math.round(seconds * 1000),
          ip: req.ip,
          // Client-chosen header values: bounded, so one request cannot write a 12 KB log line.
          sessionId: bounded(req.get('mcp-session-id')),
          protocolVersion: bounded(req.get('mcp-protocol-version')),
        },
        'request',
      );
    });
    next();
  };
}
