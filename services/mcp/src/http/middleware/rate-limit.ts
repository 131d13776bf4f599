// Per-client rate limit (client = IP as Express sees it, i.e. after `trust proxy`; an IPv6 client by its /56, as
// express-rate-limit keys it). 429 with Retry-After and a body in the route's error format (JSON-RPC, or
// problem+json on the REST façade). Health probes are mounted before it and never limited.
//
// Counting is express-rate-limit's: its `Store` interface (a deployment can plug a shared store in) and its
// `MemoryStore` by default. Its middleware is not used: an async function with four awaits per request (skip, key,
// store, limit) inside another async wrapper, it cost ~10% of a legacy message's CPU, where this one costs ~5% with
// the same answers and the same two draft-7 headers (docs/performance.md; rate-limit.test.ts holds the two side by
// side).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type ClientRateLimitInfo, ipKeyGenerator, MemoryStore, type Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { JsonRpcCode, sendError } from '../../runtime/jsonrpc-error.ts';
import type { Metrics } from '../../runtime/metrics.ts';

export const RATE_LIMIT_WINDOW_MS = 60_000;
const WINDOW_SECONDS = RATE_LIMIT_WINDOW_MS / 1000;

/**
 * The store's key for a client address. An IPv4 address has no ':', and needs none of ipKeyGenerator's IPv6
 * parsing (a large regular expression, ~1% of a legacy message).
 */
function clientKey(ip: string | undefined): string {
  if (ip === undefined) return 'no-address'; // the socket is already gone
  return ip.includes(':') ? ipKeyGenerator(ip) : ip;
}

/** A store may answer with any thenable (another promise library, another realm), as express-rate-limit awaits it. */
function isThenable<T>(value: PromiseLike<T> | T): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | undefined)?.then === 'function';
}

/**
 * Starts the store. A store that fails to start (a shared store whose backend is down) is logged, as
 * express-rate-limit logs it, and the service goes on: each request then asks the store, and what it fails is
 * answered by the error handler, as when the store fails later. An asynchronous failure would otherwise be an
 * unhandled rejection, which stops the process.
 */
function startStore(store: Store, logger: Logger): void {
  const failed = (error: unknown) =>
    logger.error(
      { error: { name: (error as Error | undefined)?.name, message: (error as Error | undefined)?.message } },
      'the rate-limit store failed to start',
    );
  try {
    // The store reads the window from the options express-rate-limit would pass; only windowMs is set there.
    const started = store.init?.({ windowMs: RATE_LIMIT_WINDOW_MS } as Parameters<NonNullable<Store['init']>>[0]);
    if (isThenable(started)) Promise.resolve(started).catch(failed);
  } catch (error) {
    failed(error);
  }
}

/** 429 with Retry-After, in the route's error format. */
export function answerTooManyRequests(req: Request, res: Response, limit: number, retryAfterSeconds: number): void {
  sendError(
    req,
    res,
    429,
    JsonRpcCode.ServerError,
    `Too many requests: the limit is ${limit} per minute per client (MCP_RATE_LIMIT_PER_MINUTE). Retry in ${retryAfterSeconds} s.`,
    { 'Retry-After': String(retryAfterSeconds) },
  );
}

export function perClientRateLimit(
  config: Config,
  metrics: Metrics,
  logger: Logger,
  store: Store = new MemoryStore(),
): RequestHandler {
  const limit = config.security.rateLimitPerMinute;
  if (limit === 0) return (_req, _res, next) => next();
  startStore(store, logger);
  const policy = `${limit};w=${WINDOW_SECONDS}`;

  const counted = (req: Request, res: Response, next: NextFunction, info: ClientRateLimitInfo) => {
    const reset = info.resetTime
      ? Math.max(0, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000))
      : WINDOW_SECONDS;
    if (!res.headersSent) {
      res.setHeader('RateLimit-Policy', policy);
      res.setHeader('RateLimit', `limit=${limit}, remaining=${Math.max(limit - info.totalHits, 0)}, reset=${reset}`);
    }
    if (info.totalHits <= limit) return next();
    metrics.rateLimited.inc();
    answerTooManyRequests(req, res, limit, Math.max(1, reset));
  };

  return (req, res, next) => {
    let counting: PromiseLike<ClientRateLimitInfo> | ClientRateLimitInfo;
    try {
      counting = store.increment(clientKey(req.ip));
    } catch (error) {
      return next(error);
    }
    // Any thenable is awaited, as the library's `await` does; a store's failure goes to the error handler, as
    // express-rate-limit's middleware sends it.
    if (isThenable(counting))
      Promise.resolve(counting)
        .then((info) => counted(req, res, next, info))
        .catch(next);
    else counted(req, res, next, counting);
  };
}
