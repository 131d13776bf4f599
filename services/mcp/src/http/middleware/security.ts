// DNS-rebinding protection (Host and Origin allowlists, the SDK's own validators), CORS that lets browser
// clients read Mcp-Session-Id, and security headers.
import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/express';
import { validateOriginHeader } from '@modelcontextprotocol/server';
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { Config } from '../../config/index.ts';

export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Mcp-Session-Id',
  'Mcp-Protocol-Version',
  'Last-Event-ID',
  'Mcp-Method',
  'Mcp-Name',
  'X-Request-Id',
];
export const CORS_EXPOSED_HEADERS = ['Mcp-Session-Id', 'Mcp-Protocol-Version', 'WWW-Authenticate', 'X-Request-Id', 'Retry-After'];

const passThrough: RequestHandler = (_req, _res, next) => next();

export function hostAndOriginGuards(config: Config): RequestHandler[] {
  const { allowedHosts, allowedOrigins } = config.security;
  return [
    allowedHosts.includes('*') ? passThrough : hostHeaderValidation(allowedHosts),
    allowedOrigins.includes('*') ? passThrough : originValidation(allowedOrigins),
  ];
}

export function corsPolicy(config: Config): RequestHandler {
  const { allowedOrigins } = config.security;
  return cors({
    origin: (origin, callback) => {
      if (!origin) return callback(null, false);
      callback(null, allowedOrigins.includes('*') || validateOriginHeader(origin, allowedOrigins).ok);
    },
    methods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });
}

/**
 * Security headers. The API answers JSON and event streams only, so the strict CSP applies everywhere except
 * the interactive /docs page, which sets its own.
 */
export function securityHeaders(): RequestHandler {
  // No HSTS from here: TLS ends at the proxy, which sets HSTS in production; sent from the app it would pin
  // *.localhost to https in developers' browsers.
  const strict = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginResourcePolicy: { policy: 'same-site' },
    strictTransportSecurity: false,
  });
  const withoutCsp = helmet({ contentSecurityPolicy: false, strictTransportSecurity: false });
  return (req: Request, res: Response, next: NextFunction) => (req.path.startsWith('/docs') ? withoutCsp : strict)(req, res, next);
}
