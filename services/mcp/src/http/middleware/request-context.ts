// Request id (X-Request-Id accepted when sane, else generated; always returned), one access-log line per request,
// and the HTTP metrics. Only method, path, status, duration and ids are logged: never headers or bodies, so no
// credential can reach the logs from here.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../../runtime/metrics.ts';

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

export function requestContext(logger: Logger, metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    req.id = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', req.id);
    req.log = logger.child({ reqId: req.id });
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeLabel(req.path);
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route }, seconds);
      // Health probes every few seconds would drown the log: they go to debug.
      const level = route === '/healthz' || route === '/readyz' || route === '/metrics' ? 'debug' : 'info';
      req.log[level](
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          durationMs: Math.round(seconds * 1000),
          ip: req.ip,
          sessionId: req.get('mcp-session-id'),
          protocolVersion: req.get('mcp-protocol-version'),
        },
        'request',
      );
    });
    next();
  };
}
