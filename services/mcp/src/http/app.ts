// The Express app: the order of the middleware is the security model, so it is all in this one place.
//   request id + access log + metrics      everything
//   security headers                        everything
//   /healthz, /readyz                       no host check, no auth (probes reach us by IP)
//   /metrics if MCP_METRICS_PUBLIC=true     likewise (scrapers inside the network)
//   draining guard                          503 for new work once shutdown began
//   Host / Origin allowlists, CORS          everything below
//   RFC 9728 document                       no auth (clients read it to learn how to authenticate)
//   rate limit                              everything below
//   /docs page shell                        no auth (static; it asks the user for the token)
//   bearer auth                             everything below (/metrics too, unless MCP_METRICS_PUBLIC=true)
//   JSON body (415/413/-32700)              MCP routes and the REST façade
// The MCP routes themselves (/mcp, POST /messages, GET /sse) are served by the same middleware without Express's
// router: the node:http listener (fast-path.ts) runs the chain below for them, built from the same instances.
import type { RequestListener } from 'node:http';
import express, { type Express, type RequestHandler } from 'express';
import type { AppDeps } from '../deps.ts';
import { createMcpEndpoints, LEGACY_MESSAGES_PATH, MCP_PATH, type McpEndpoints } from '../mcp/router.ts';
import { createDocsRouter, createRestRouter } from '../rest/index.ts';
import { JsonRpcCode, sendError } from '../runtime/jsonrpc-error.ts';
import { Lifecycle } from '../runtime/lifecycle.ts';
import { createHttpListener } from './fast-path.ts';
import { healthRouter } from './health.ts';
import { bearerAuth, PROTECTED_RESOURCE_PATH, protectedResourceMetadata } from './middleware/auth.ts';
import { errorHandler, jsonBody, requireJsonPost } from './middleware/body.ts';
import { perClientRateLimit } from './middleware/rate-limit.ts';
import { requestContext } from './middleware/request-context.ts';
import { corsPolicy, hostAndOriginGuards, securityHeaders } from './middleware/security.ts';
import { bodyDeadline } from './middleware/slow-body.ts';

export interface App {
  app: Express;
  /** What the HTTP server runs: the MCP routes' fast path in front of `app`. */
  listener: RequestListener;
  lifecycle: Lifecycle;
  mcp: McpEndpoints;
}

export function createApp(deps: AppDeps): App {
  const { config, metrics, logger } = deps;
  const lifecycle = new Lifecycle(metrics);
  const mcp = createMcpEndpoints(deps, lifecycle);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.security.trustProxy);

  // One instance of each middleware, shared by the Express app and the fast path (one rate-limit store, one set
  // of metric children).
  const context = requestContext(logger, metrics);
  const deadline = bodyDeadline(config.security.requestTimeoutSeconds);
  const headers = securityHeaders();
  const drainingGuard: RequestHandler = (req, res, next) => {
    if (!lifecycle.draining) return next();
    res.set('Connection', 'close');
    sendError(req, res, 503, JsonRpcCode.ServerError, 'Service is shutting down; retry on another instance.', {
      'Retry-After': '1',
    });
  };
  const guards = hostAndOriginGuards(config);
  const cors = corsPolicy(config);
  const rateLimit = perClientRateLimit(config, metrics, logger);
  const auth = bearerAuth(config);
  const jsonPost = requireJsonPost();
  const body = jsonBody(config);
  const notFound: RequestHandler = (req, res) => {
    sendError(
      req,
      res,
      404,
      JsonRpcCode.MethodNotFound,
      `Not found: ${req.method} ${req.path}. MCP is served at ${MCP_PATH}.`,
    );
  };
  const onError = errorHandler(config);

  app.use(context);
  app.use(deadline);
  app.use(headers);
  app.use(healthRouter({ llm: deps.llm, lifecycle, version: deps.version, logger }));
  const metricsHandler: express.RequestHandler = async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  };
  // Public metrics are for scrapers inside the network, which address us by container name or IP.
  if (config.security.metricsPublic) app.get('/metrics', metricsHandler);

  app.use(drainingGuard);

  app.use(...guards);
  app.use(cors);
  const metadata = protectedResourceMetadata(config);
  app.get([PROTECTED_RESOURCE_PATH, `${PROTECTED_RESOURCE_PATH}/*rest`], metadata);

  app.use(rateLimit);
  // The /docs page is a static shell (no data): a browser cannot send a bearer token when navigating to it, so
  // it loads without one and asks for the token; /openapi.json and every call behind it need the token.
  app.use(createDocsRouter());
  app.use(auth);
  if (!config.security.metricsPublic) app.get('/metrics', metricsHandler);

  app.use([MCP_PATH, LEGACY_MESSAGES_PATH], jsonPost);
  app.use(body);
  app.use(mcp.router);
  app.use(createRestRouter(deps, { shuttingDown: () => lifecycle.draining, beginWork: () => lifecycle.begin() }));

  app.use(notFound);
  app.use(onError);

  // For an MCP route, what the Express app above runs for it: the middleware that applies to every path (the
  // health, metrics, metadata and docs routes never match these paths), then the route's own handlers. A request
  // they pass on would reach the REST router (which has no such path) and then `notFound`.
  const common = [context, deadline, headers, drainingGuard, ...guards, cors, rateLimit, auth, jsonPost, body];
  // handlersFor answers with one of a few fixed lists, so this map stays that small.
  const chains = new Map<readonly RequestHandler[], readonly RequestHandler[]>();
  const chainFor = (method: string, path: string) => {
    const handlers = mcp.handlersFor(method, path);
    if (handlers === undefined) return undefined;
    let chain = chains.get(handlers);
    if (chain === undefined) {
      chain = [...common, ...handlers];
      chains.set(handlers, chain);
    }
    return chain;
  };
  const listener = createHttpListener(app, { chainFor, notFound, onError });
  return { app, listener, lifecycle, mcp };
}
