// DNS-rebinding protection (Host and Origin allowlists, the SDK's own validators), CORS that lets browser
// clients read Mcp-Session-Id, and security headers.
import { hostHeaderValidation, originValidation } from '@modelcontextprotocol/express';
import { validateOriginHeader } from '@modelcontextprotocol/server';
import cors from 'cors';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import type { Config } from '../../config/index.ts';
import { isRestPath, sendProblemJson } from '../../runtime/jsonrpc-error.ts';

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
export const CORS_EXPOSED_HEADERS = [
  'Mcp-Session-Id',
  'Mcp-Protocol-Version',
  'WWW-Authenticate',
  'X-Request-Id',
  'Retry-After',
];

const passThrough: RequestHandler = (_req, _res, next) => next();

export function hostAndOriginGuards(config: Config): RequestHandler[] {
  const { allowedHosts, allowedOrigins } = config.security;
  return [
    allowedHosts.includes('*') ? passThrough : problemOnRest(hostHeaderValidation(allowedHosts)),
    allowedOrigins.includes('*') ? passThrough : problemOnRest(originValidation(allowedOrigins)),
  ];
}

/**
 * The SDK's guards answer with a JSON-RPC error body (res.status(403).json(...)); on the REST façade the same
 * refusal is rewritten as problem+json, so each family of routes keeps its one error format.
 */
function problemOnRest(guard: RequestHandler): RequestHandler {
  return (req, res, next) => {
    if (!isRestPath(req.path)) return guard(req, res, next);
    const json = res.json;
    res.json = (body: { error?: { message?: unknown } } | undefined) => {
      res.json = json;
      const message = typeof body?.error?.message === 'string' ? body.error.message : 'Forbidden.';
      sendProblemJson(res, res.statusCode, message);
      return res;
    };
    guard(req, res, (error?: unknown) => {
      res.json = json;
      next(error);
    });
  };
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

// No HSTS from here: TLS ends at the proxy, which sets HSTS in production; sent from the app it would pin
// *.localhost to https in developers' browsers.
/**
 * The API answers JSON and event streams only: the headers that protect such a response (nothing rendered, framed,
 * sniffed or embedded cross-site; no referrer), everywhere but /docs. helmet's document-only headers (COOP,
 * Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies,
 * X-XSS-Protection) mean nothing on them, and a long-lived stream would keep them in memory for its whole life.
 */
export const API_HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'same-site' },
  referrerPolicy: { policy: 'no-referrer' },
  xContentTypeOptions: true,
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
  strictTransportSecurity: false,
} satisfies HelmetOptions;
/**
 * The interactive /docs page (Swagger UI): our own scripts and styles only (it sets inline styles on elements,
 * and shows data: images), fetches only from this origin.
 */
export const DOCS_HELMET_OPTIONS = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
  strictTransportSecurity: false,
} satisfies HelmetOptions;

/** Security headers: helmet's, with the options above. */
export function securityHeaders(): RequestHandler {
  const strict = helmet(API_HELMET_OPTIONS);
  const docs = helmet(DOCS_HELMET_OPTIONS);
  const strictHeaders = headersSetBy(strict);
  const docsHeaders = headersSetBy(docs);
  return (req: Request, res: Response, next: NextFunction) => {
    for (const [name, value] of req.path.startsWith('/docs') ? docsHeaders : strictHeaders) res.setHeader(name, value);
    // helmet removes it too (Express adds it unless x-powered-by is disabled, which app.ts does).
    res.removeHeader('X-Powered-By');
    next();
  };
}

/**
 * The headers a helmet instance sets, recorded once: with these options (no nonces, nothing taken from the
 * request) they are the same on every response, so each response gets them in one loop rather than through
 * helmet's chain of eleven middleware. security.test.ts compares them with what helmet sets on a response.
 */
export function headersSetBy(middleware: RequestHandler): ReadonlyArray<readonly [string, string]> {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  let passedOn = false;
  middleware({} as Request, recorder as unknown as Response, (error?: unknown) => {
    if (error === undefined) passedOn = true;
  });
  if (!passedOn || headers.length === 0) throw new Error('helmet did not set its headers synchronously');
  return headers;
}
