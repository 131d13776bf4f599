// One port, every client generation:
//   POST /mcp with the 2026-07-28 per-request envelope      -> stateless, served by a prepared McpServer from a pool
//   POST/GET/DELETE /mcp from 2025-03-26/06-18/11-25 clients -> a session (Mcp-Session-Id), or stateless when
//                                                               MCP_STATELESS=true (GET/DELETE then answer 405)
//   GET /sse + POST /messages (2024-11-05 HTTP+SSE)          -> a legacy session
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  classifyInboundRequest,
  createMcpHandler,
  type McpServerFactory,
  PROTOCOL_VERSION_META_KEY,
} from '@modelcontextprotocol/server';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import type { AppDeps } from '../deps.ts';
import { JsonRpcCode, sendJsonRpcError } from '../runtime/jsonrpc-error.ts';
import type { Lifecycle } from '../runtime/lifecycle.ts';
import { serveWithWebHandler, transportErrorLog } from './node-face.ts';
import { createServerBuilder } from './server-factory.ts';
import { bodyCarriesClientInfo, createServerPool, type Exchange } from './server-pool.ts';
import { SessionManager } from './sessions/index.ts';

export const MCP_PATH = '/mcp';
export const LEGACY_SSE_PATH = '/sse';
export const LEGACY_MESSAGES_PATH = '/messages';

/** Idle prepared servers kept per kind; beyond what the concurrency needs they are left to the GC. */
const POOL_MAX_IDLE = 64;

export interface McpEndpoints {
  router: Router;
  /**
   * What the router runs for this method on exactly this path, in order, or undefined where it does not answer:
   * the node:http fast path (http/fast-path.ts) runs these same handlers without Express's router.
   */
  handlersFor(method: string, path: string): readonly RequestHandler[] | undefined;
  sessions: SessionManager;
  /** Shutdown, step 1: end streams that only wait for server-initiated messages. */
  endIdleStreams(): void;
  /** Shutdown, last step: close every session and abort what is left of modern exchanges. */
  close(): Promise<void>;
}

export function createMcpEndpoints(deps: AppDeps, lifecycle: Lifecycle): McpEndpoints {
  const { config, logger, metrics } = deps;
  const buildServer = createServerBuilder(deps);
  const sessions = new SessionManager({ config, logger, metrics, lifecycle, buildServer });

  // The exchange being served, for the pool: whether the request names its client (a server that was told one
  // client's info goes only to a request that brings its own), and how to end it if the client goes away.
  const exchanges = new AsyncLocalStorage<Exchange>();
  // The conformance fixtures' test tools are not call-tracked, so with them every request gets a fresh server.
  const factory: McpServerFactory = createServerPool(buildServer, {
    maxIdle: config.mcp.conformanceFixtures ? 0 : POOL_MAX_IDLE,
    exchange: () => exchanges.getStore(),
  }).factory;

  const onerror = transportErrorLog(logger);
  // MCP_STATELESS=true (multi-replica): the SDK serves 2025 requests statelessly too (no session to pin to a
  // replica). Otherwise 2025 traffic is routed to sessions in front of it and the handler serves 2026-07-28 only.
  const handler = createMcpHandler(factory, {
    keepAliveMs: config.mcp.keepaliveSeconds * 1000,
    maxRequestBodySize: config.security.maxBodyBytes,
    onerror,
    legacy: config.mcp.stateless ? 'stateless' : 'reject',
  });

  const serveStateless = async (req: Request, res: Response) => {
    // The HTTP exchange is the whole call: it is in flight until the response closes. Except a 2026-07-28
    // subscriptions/listen stream, the successor of the GET stream: it only waits for notifications, so
    // shutdown must not wait for it (the handler's close() ends it last).
    const listen = isListenRequest(req.body);
    const done = listen ? undefined : lifecycle.begin();
    const exchange: Exchange = { carriesClientInfo: bodyCarriesClientInfo(req.body) };
    res.once('close', () => {
      done?.();
      // The client went away before its answer was complete: end the exchange (a tool call sees its signal abort).
      if (!res.writableFinished) exchange.cancel?.();
    });
    lifecycle.trackStream(res, 'streamable-stateless');
    // A listen stream is served by the handler itself, not by an instance: it ends on the Request's abort signal.
    await exchanges.run(exchange, () =>
      serveWithWebHandler(handler.fetch, req, res, req.body, onerror, { abortOnClose: listen }),
    );
  };

  // Checks every JSON-RPC body before a transport sees it: the SDK re-serializes and walks bodies recursively,
  // so a deeply nested one would overflow the stack (a 500), and an empty batch is not a valid message.
  const checkMessage: RequestHandler = (req, res, next) => {
    if (Array.isArray(req.body) && req.body.length === 0) {
      sendJsonRpcError(
        res,
        400,
        JsonRpcCode.InvalidRequest,
        'Invalid Request: an empty batch is not a JSON-RPC message.',
      );
      return;
    }
    if (nestsDeeperThan(req.body, MAX_JSON_DEPTH)) {
      sendJsonRpcError(
        res,
        400,
        JsonRpcCode.InvalidRequest,
        `Invalid Request: the message nests deeper than ${MAX_JSON_DEPTH} levels.`,
      );
      return;
    }
    next();
  };
  const serveMcp = async (req: Request, res: Response) => {
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      sendJsonRpcError(
        res,
        405,
        JsonRpcCode.ServerError,
        `Method ${req.method} not allowed on ${MCP_PATH}; use POST, GET or DELETE.`,
        {
          Allow: 'GET, POST, DELETE',
        },
      );
      return;
    }
    if (config.mcp.stateless) {
      await serveStateless(req, res);
      return;
    }
    // Only a session-less POST needs classifying: GET/DELETE and anything carrying Mcp-Session-Id belong to a 2025
    // session (2026-07-28 has no sessions). The SDK's own classification step, run on the parsed body and headers
    // (no web Request is built for it; the handler builds the one it serves from).
    let legacy: boolean;
    try {
      legacy = req.method !== 'POST' || req.headers['mcp-session-id'] !== undefined || isLegacyPost(req);
    } catch (error) {
      // Whatever the body is, failing to classify it is the client's problem, never a 500.
      logger.debug({ error: { message: (error as Error).message } }, 'could not classify an MCP request');
      sendJsonRpcError(
        res,
        400,
        JsonRpcCode.InvalidRequest,
        'Invalid Request: the body is not a JSON-RPC message this endpoint can serve.',
      );
      return;
    }
    if (legacy) await sessions.handleStreamable(req, res);
    else await serveStateless(req, res);
  };
  const postLegacyMessage = async (req: Request, res: Response) => {
    await sessions.postLegacyMessage(req, res);
  };
  const openLegacySse = async (_req: Request, res: Response) => {
    await sessions.openLegacySse(res, LEGACY_MESSAGES_PATH);
  };
  // Switched off (MCP_LEGACY_SSE=false): say so in the route's contract, so a 2024-11-05 client learns why.
  const legacySseOff: RequestHandler = (_req, res) => {
    sendJsonRpcError(
      res,
      404,
      JsonRpcCode.ServerError,
      `The 2024-11-05 HTTP+SSE transport (${LEGACY_SSE_PATH}) is switched off on this server (MCP_LEGACY_SSE=false); connect with Streamable HTTP at ${MCP_PATH}.`,
    );
  };

  const router = Router();
  router.post([MCP_PATH, LEGACY_MESSAGES_PATH], checkMessage);
  router.all(MCP_PATH, serveMcp);
  if (config.mcp.legacySse) {
    router.get(LEGACY_SSE_PATH, openLegacySse);
    router.post(LEGACY_MESSAGES_PATH, postLegacyMessage);
  } else {
    router.all([LEGACY_SSE_PATH, LEGACY_MESSAGES_PATH], legacySseOff);
  }

  // The same routes as a lookup, for the fast path: one list per method and path the router answers.
  const mcpPost = [checkMessage, serveMcp];
  const mcpOther = [serveMcp];
  const messagesPost = [checkMessage, config.mcp.legacySse ? postLegacyMessage : legacySseOff];
  const messagesOther = config.mcp.legacySse ? undefined : [legacySseOff];
  // GET (and HEAD, which Express's router.get answers too) opens a stream that may stay for hours: served here, it
  // keeps none of the router's per-request closures alive for that long.
  const sseGet = config.mcp.legacySse ? [openLegacySse] : [legacySseOff];
  const sseOther = config.mcp.legacySse ? undefined : [legacySseOff];
  const handlersFor = (method: string, path: string) => {
    if (path === MCP_PATH) return method === 'POST' ? mcpPost : mcpOther;
    if (path === LEGACY_MESSAGES_PATH) return method === 'POST' ? messagesPost : messagesOther;
    if (path === LEGACY_SSE_PATH) return method === 'GET' || method === 'HEAD' ? sseGet : sseOther;
    return undefined;
  };

  return {
    router,
    handlersFor,
    sessions,
    endIdleStreams: () => sessions.endIdleStreams(),
    close: async () => {
      await sessions.closeAll('shutdown');
      await handler.close();
    },
  };
}

const header = (req: Request, name: string) => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * What isLegacyRequest() answers for this POST, from the body express already parsed: an empty or non-JSON
 * body is legacy; a message carrying the 2026-07-28 envelope claim never is (the modern handler answers it, even
 * its errors), which spares the common case a second classification (the handler classifies it anyway);
 * otherwise the SDK's classification decides.
 */
function isLegacyPost(req: Request): boolean {
  const body: unknown = req.body;
  if (body === undefined) return true;
  // (initialize is the exception: with a claim that is not valid it is the 2025 handshake.)
  const message = body as { method?: unknown; params?: { _meta?: Record<string, unknown> } };
  const meta = message.params?._meta;
  if (message.method !== 'initialize' && typeof meta === 'object' && meta !== null && PROTOCOL_VERSION_META_KEY in meta)
    return false;
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: header(req, 'mcp-protocol-version'),
    mcpMethodHeader: header(req, 'mcp-method'),
    mcpNameHeader: header(req, 'mcp-name'),
    body,
  });
  return outcome.kind === 'legacy';
}

function isListenRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === 'subscriptions/listen';
}

/** Deeper than any real MCP message, shallow enough for every recursive walk in the SDK and zod. */
const MAX_JSON_DEPTH = 64;

/** True when `value` nests more than `limit` arrays/objects deep (iterative: a deep value cannot overflow it). */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (depth > limit) return true;
    for (const child of Object.values(current as object)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
