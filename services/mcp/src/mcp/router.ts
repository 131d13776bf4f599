// One port, every client generation:
//   POST /mcp with the 2026-07-28 per-request envelope      -> stateless, one McpServer per request
//   POST/GET/DELETE /mcp from 2025-03-26/06-18/11-25 clients -> a session (Mcp-Session-Id), or stateless when
//                                                               MCP_STATELESS=true (GET/DELETE then answer 405)
//   GET /sse + POST /messages (2024-11-05 HTTP+SSE)          -> a legacy session
import { toNodeHandler, toWebRequest } from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest, type McpHttpHandler } from '@modelcontextprotocol/server';
import { Router, type Request, type Response } from 'express';
import type { AppDeps } from '../deps.ts';
import { JsonRpcCode, sendJsonRpcError } from '../runtime/jsonrpc-error.ts';
import type { Lifecycle } from '../runtime/lifecycle.ts';
import { createServerFactory } from './server-factory.ts';
import { SessionManager } from './sessions.ts';

export const MCP_PATH = '/mcp';
export const LEGACY_SSE_PATH = '/sse';
export const LEGACY_MESSAGES_PATH = '/messages';

export interface McpEndpoints {
  router: Router;
  sessions: SessionManager;
  /** Shutdown, step 1: end streams that only wait for server-initiated messages. */
  endIdleStreams(): void;
  /** Shutdown, last step: close every session and abort what is left of modern exchanges. */
  close(): Promise<void>;
}

export function createMcpEndpoints(deps: AppDeps, lifecycle: Lifecycle): McpEndpoints {
  const { config, logger, metrics } = deps;
  const factory = createServerFactory(deps);
  const sessions = new SessionManager({ config, logger, metrics, lifecycle, factory });
  const onerror = (error: Error) => logger.warn({ err: { message: error.message, name: error.name } }, 'MCP transport error');
  const handlerOptions = {
    keepAliveMs: config.mcp.keepaliveSeconds * 1000,
    maxRequestBodySize: config.security.maxBodyBytes,
    onerror,
  };
  // 2026-07-28 only; 2025 traffic is routed to sessions in front of it (isLegacyRequest below).
  const modern: McpHttpHandler = createMcpHandler(factory, { ...handlerOptions, legacy: 'reject' });
  // Multi-replica mode: the SDK serves 2025 requests statelessly too (no session to pin to a replica).
  const statelessAll: McpHttpHandler | undefined = config.mcp.stateless
    ? createMcpHandler(factory, { ...handlerOptions, legacy: 'stateless' })
    : undefined;
  const modernNode = toNodeHandler(modern, { onerror, maxRequestBodySize: config.security.maxBodyBytes });
  const statelessNode = statelessAll ? toNodeHandler(statelessAll, { onerror, maxRequestBodySize: config.security.maxBodyBytes }) : undefined;

  const serveStateless = async (handler: typeof modernNode, req: Request, res: Response) => {
    // The HTTP exchange is the whole call: it is in flight until the response closes. Except a 2026-07-28
    // subscriptions/listen stream, the successor of the GET stream: it only waits for notifications, so
    // shutdown must not wait for it (the handler's close() ends it last).
    if (!isListenRequest(req.body)) {
      const done = lifecycle.begin();
      res.once('close', done);
    }
    lifecycle.trackStream(res, 'streamable-stateless');
    await handler(req, res, req.body);
  };

  const router = Router();
  router.all(MCP_PATH, async (req, res) => {
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') {
      sendJsonRpcError(res, 405, JsonRpcCode.ServerError, `Method ${req.method} not allowed on ${MCP_PATH}; use POST, GET or DELETE.`, {
        Allow: 'GET, POST, DELETE',
      });
      return;
    }
    if (statelessNode) {
      await serveStateless(statelessNode, req, res);
      return;
    }
    // Only a session-less POST needs classifying: GET/DELETE and anything carrying Mcp-Session-Id belong to a 2025
    // session (2026-07-28 has no sessions), and classifying means building a web Request, a cost on every call.
    const legacy =
      req.method !== 'POST' ||
      req.headers['mcp-session-id'] !== undefined ||
      (await isLegacyRequest(await toWebRequest(req, req.body), req.body));
    if (legacy) await sessions.handleStreamable(req, res);
    else await serveStateless(modernNode, req, res);
  });

  if (config.mcp.legacySse) {
    router.get(LEGACY_SSE_PATH, async (req, res) => {
      await sessions.openLegacySse(req, res, LEGACY_MESSAGES_PATH);
    });
    router.post(LEGACY_MESSAGES_PATH, async (req, res) => {
      await sessions.postLegacyMessage(req, res);
    });
  } else {
    // Switched off (MCP_LEGACY_SSE=false): say so in the route's contract, so a 2024-11-05 client learns why.
    router.all([LEGACY_SSE_PATH, LEGACY_MESSAGES_PATH], (_req, res) => {
      sendJsonRpcError(res, 404, JsonRpcCode.ServerError, `The 2024-11-05 HTTP+SSE transport (${LEGACY_SSE_PATH}) is switched off on this server (MCP_LEGACY_SSE=false); connect with Streamable HTTP at ${MCP_PATH}.`);
    });
  }

  return {
    router,
    sessions,
    endIdleStreams: () => sessions.endIdleStreams(),
    close: async () => {
      await sessions.closeAll('shutdown');
      await Promise.all([modern.close(), statelessAll?.close()]);
    },
  };
}

function isListenRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === 'subscriptions/listen';
}
