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
import express, { type Express } from 'express';
import type { AppDeps } from '../deps.ts';
import { createMcpEndpoints, LEGACY_MESSAGES_PATH, MCP_PATH, type McpEndpoints } from '../mcp/router.ts';
import { createDocsRouter, createRestRouter } from '../rest/index.ts';
import { JsonRpcCode, sendError } from '../runtime/jsonrpc-error.ts';
import { Lifecycle } from '../runtime/lifecycle.ts';
import { healthRouter } from './health.ts';
import { bearerAuth, PROTECTED_RESOURCE_PATH, protectedResourceMetadata } from './middleware/auth.ts';
import { errorHandler, jsonBody, requireJsonPost } from './middleware/body.ts';
import { perClientRateLimit } from './middleware/rate-limit.ts';
import { requestContext } from './middleware/request-context.ts';
import { corsPolicy, hostAndOriginGuards, securityHeaders } from './middleware/security.ts';
import { bodyDeadline } from './middleware/slow-body.ts';

export interface App {
  app: Express;
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

  app.use(requestContext(logger, metrics));
  app.use(bodyDeadline(config.security.requestTimeoutSeconds));
  app.use(securityHeaders());
  app.use(healthRouter({ llm: deps.llm, lifecycle, version: deps.version, logger }));
  const metricsHandler: express.RequestHandler = async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType).send(await metrics.registry.metrics());
  };
  // Public metrics are for scrapers inside the network, which address us by container name or IP.
  if (config.security.metricsPublic) app.get('/metrics', metricsHandler);

  app.use((req, res, next) => {
    if (!lifecycle.draining) return next();
    res.set('Connection', 'close');
    sendError(req, res, 503, JsonRpcCode.ServerError, 'Service is shutting down; retry on another instance.', {
      'Retry-After': '1',
    });
  });

  app.use(...hostAndOriginGuards(config));
  app.use(corsPolicy(config));
  const metadata = protectedResourceMetadata(config);
  app.get([PROTECTED_RESOURCE_PATH, `${PROTECTED_RESOURCE_PATH}/*rest`], metadata);

  app.use(perClientRateLimit(config, metrics));
  const auth = bearerAuth(config);
  // The /docs page is a static shell (no data): a browser cannot send a bearer token when navigating to it, so
  // it loads without one and asks for the token; /openapi.json and every call behind it need the token.
  app.use(createDocsRouter());
  app.use(auth);
  if (!config.security.metricsPublic) app.get('/metrics', metricsHandler);

  app.use([MCP_PATH, LEGACY_MESSAGES_PATH], requireJsonPost());
  app.use(jsonBody(config));
  app.use(mcp.router);
  app.use(createRestRouter(deps, { shuttingDown: () => lifecycle.draining, beginWork: () => lifecycle.begin() }));

  app.use((req, res) => {
    sendError(
      req,
      res,
      404,
      JsonRpcCode.MethodNotFound,
      `Not found: ${req.method} ${req.path}. MCP is served at ${MCP_PATH}.`,
    );
  });
  app.use(errorHandler(config));
  return { app, lifecycle, mcp };
}
