// Per-client rate limit (client = IP as Express sees it, i.e. after `trust proxy`). 429 with Retry-After and a
// body in the route's error format (JSON-RPC, or problem+json on the REST façade). Health probes are mounted before it and never limited.
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Config } from '../../config/index.ts';
import { JsonRpcCode, sendError } from '../../runtime/jsonrpc-error.ts';
import type { Metrics } from '../../runtime/metrics.ts';

export function perClientRateLimit(config: Config, metrics: Metrics): RequestHandler {
  const limit = config.security.rateLimitPerMinute;
  if (limit === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    // Run bare, X-Forwarded-For is ignored on purpose (nothing is trusted): no warning for clients that send it.
    validate: { xForwardedForHeader: false },
    handler: (req, res, _next, options) => {
      metrics.rateLimited.inc();
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = resetTime
        ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
        : Math.ceil(options.windowMs / 1000);
      sendError(
        req,
        res,
        429,
        JsonRpcCode.ServerError,
        `Too many requests: the limit is ${limit} per minute per client (MCP_RATE_LIMIT_PER_MINUTE). Retry in ${retryAfter} s.`,
        { 'Retry-After': String(retryAfter) },
      );
    },
  });
}
