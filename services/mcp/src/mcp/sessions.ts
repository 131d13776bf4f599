// Stateful MCP sessions: 2025 Streamable HTTP clients (Mcp-Session-Id) and 2024-11-05 HTTP+SSE clients.
// Each session owns one McpServer and one transport. Sessions are capped (503 past MCP_MAX_SESSIONS) and reaped
// once idle for MCP_SESSION_IDLE_SECONDS with nothing open, because many clients never send DELETE.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import {
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type McpServer,
  type Transport,
} from '@modelcontextprotocol/server';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { JsonRpcCode, sendJsonRpcError } from '../runtime/jsonrpc-error.ts';
import type { Lifecycle } from '../runtime/lifecycle.ts';
import type { McpTransportKind, Metrics } from '../runtime/metrics.ts';
import { BoundedEventStore } from './event-store.ts';
import type { ServerFactory } from './server-factory.ts';

type SessionKind = Extract<McpTransportKind, 'streamable-session' | 'legacy-sse'>;

interface Session {
  id: string;
  kind: SessionKind;
  server: McpServer;
  transport: NodeStreamableHTTPServerTransport | SSEServerTransport;
  lastActivity: number;
  /** HTTP requests (including open GET streams) currently attached to the session. */
  openRequests: number;
  /** Ends in-flight work counters when the session goes away mid-call. */
  abandonInFlight: () => void;
  keepaliveTimer?: NodeJS.Timeout;
  closing: boolean;
}

export interface SessionManagerOptions {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  factory: ServerFactory;
}

/** The SSE retry hint (ms) sent with priming events, so clients resume promptly after a stream is closed. */
const SSE_RETRY_MS = 1000;

export class SessionManager {
  readonly #sessions = new Map<string, Session>();
  #pending = 0;
  readonly #opts: SessionManagerOptions;
  readonly #reaper: NodeJS.Timeout;

  constructor(opts: SessionManagerOptions) {
    this.#opts = opts;
    const idleMs = opts.config.mcp.sessionIdleSeconds * 1000;
    this.#reaper = setInterval(() => this.reapIdle(), Math.max(250, Math.min(idleMs / 2, 30_000)));
    this.#reaper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  #hasRoom(res: Response): boolean {
    const max = this.#opts.config.mcp.maxSessions;
    if (this.#sessions.size + this.#pending < max) return true;
    this.#opts.metrics.sessionsRejected.inc({ reason: 'limit' });
    this.#opts.logger.warn({ max }, 'session limit reached; refusing a new session');
    sendJsonRpcError(
      res,
      503,
      JsonRpcCode.ServerError,
      `Service busy: the limit of ${max} open MCP sessions is reached (MCP_MAX_SESSIONS). Retry shortly.`,
      { 'Retry-After': '5' },
    );
    return false;
  }

  /** Counts the request against the session while it is open (so a session with a live stream is never idle). */
  #attach(session: Session, res: ServerResponse): void {
    session.openRequests++;
    session.lastActivity = Date.now();
    res.once('close', () => {
      session.openRequests--;
      session.lastActivity = Date.now();
    });
  }

  // ------------------------------------------------------------------ 2025 Streamable HTTP (Mcp-Session-Id)

  async handleStreamable(req: Request, res: Response): Promise<void> {
    const sessionId = req.get('mcp-session-id');
    if (sessionId !== undefined) {
      const session = this.#sessions.get(sessionId);
      if (!session || session.kind !== 'streamable-session') {
        this.#opts.metrics.sessionsRejected.inc({ reason: 'unknown' });
        sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found: it expired or was closed. Start a new session with initialize.');
        return;
      }
      this.#attach(session, res);
      this.#opts.lifecycle.trackStream(res, 'streamable-session');
      await (session.transport as NodeStreamableHTTPServerTransport).handleRequest(req, res, req.body);
      return;
    }

    const body: unknown = req.body;
    const isInitialize =
      req.method === 'POST' && (Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body));
    if (!isInitialize) {
      this.#opts.metrics.sessionsRejected.inc({ reason: 'missing' });
      sendJsonRpcError(
        res,
        400,
        JsonRpcCode.ServerError,
        'Bad Request: Mcp-Session-Id header is required. Send an initialize request first to open a session.',
      );
      return;
    }
    if (!this.#hasRoom(res)) return;
    await this.#openStreamable(req, res);
  }

  async #openStreamable(req: Request, res: Response): Promise<void> {
    const { config, factory, logger, metrics } = this.#opts;
    this.#pending++;
    let registered = false;
    const server = factory({ era: 'legacy' });
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new BoundedEventStore(config.mcp.eventStoreMaxEvents),
      retryInterval: SSE_RETRY_MS,
      keepAliveMs: config.mcp.keepaliveSeconds * 1000,
      maxRequestBodySize: config.security.maxBodyBytes,
      onsessioninitialized: (id) => {
        this.#pending--;
        registered = true;
        const requested = (req.body as { params?: { protocolVersion?: unknown } } | undefined)?.params?.protocolVersion;
        const session = this.#register(id, 'streamable-session', server, transport, { requestedVersion: requested });
        this.#attach(session, res);
      },
      onsessionclosed: (id) => {
        logger.info({ sessionId: id }, 'session closed by client (DELETE)');
      },
    });
    transport.onclose = () => {
      const id = transport.sessionId;
      if (id) this.#forget(id);
    };
    await server.connect(transport);
    this.#trackInFlight(transport);
    this.#opts.lifecycle.trackStream(res, 'streamable-session');
    try {
      await transport.handleRequest(req, res, req.body);
    } finally {
      if (!registered) {
        // The initialize was refused (bad params, bad headers): nothing to keep.
        this.#pending--;
        await server.close().catch(() => undefined);
        metrics.sessionsRejected.inc({ reason: 'initialize_failed' });
      }
    }
  }

  // ------------------------------------------------------------------ 2024-11-05 HTTP+SSE (GET /sse, POST /messages)

  async openLegacySse(_req: Request, res: Response, messagesPath: string): Promise<void> {
    if (!this.#hasRoom(res)) return;
    const { config, factory, lifecycle } = this.#opts;
    const server = factory({ era: 'legacy' });
    const transport = new SSEServerTransport(messagesPath, res);
    const session = this.#register(transport.sessionId, 'legacy-sse', server, transport);
    transport.onclose = () => this.#forget(transport.sessionId);
    lifecycle.trackStream(res, 'legacy-sse');
    this.#attach(session, res);
    res.once('close', () => void this.#close(session, 'stream closed'));
    await server.connect(transport);
    this.#trackInFlight(transport);
    // The frozen SSE transport sends no keepalives; proxies cut idle streams, so send SSE comments ourselves.
    const keepaliveMs = config.mcp.keepaliveSeconds * 1000;
    if (keepaliveMs > 0) {
      session.keepaliveTimer = setInterval(() => {
        if (!res.writableEnded && !res.destroyed) res.write(': keepalive\n\n');
      }, keepaliveMs);
      session.keepaliveTimer.unref();
    }
  }

  async postLegacyMessage(req: Request, res: Response): Promise<void> {
    const sessionId = typeof req.query.sessionId === 'string' ? req.query.sessionId : undefined;
    if (!sessionId) {
      this.#opts.metrics.sessionsRejected.inc({ reason: 'missing' });
      sendJsonRpcError(res, 400, JsonRpcCode.ServerError, 'Bad Request: the sessionId query parameter is required (use the endpoint sent on GET /sse).');
      return;
    }
    const session = this.#sessions.get(sessionId);
    if (!session || session.kind !== 'legacy-sse') {
      this.#opts.metrics.sessionsRejected.inc({ reason: 'unknown' });
      sendJsonRpcError(res, 404, JsonRpcCode.SessionNotFound, 'Session not found: its SSE stream was closed. Reconnect with GET /sse.');
      return;
    }
    session.lastActivity = Date.now();
    await (session.transport as SSEServerTransport).handlePostMessage(req, res, req.body);
  }

  // ------------------------------------------------------------------ bookkeeping

  #register(id: string, kind: SessionKind, server: McpServer, transport: Session['transport'], details: Record<string, unknown> = {}): Session {
    const session: Session = {
      id,
      kind,
      server,
      transport,
      lastActivity: Date.now(),
      openRequests: 0,
      abandonInFlight: () => undefined,
      closing: false,
    };
    this.#sessions.set(id, session);
    this.#opts.metrics.sessionsOpen.inc({ transport: kind });
    this.#opts.logger.info({ sessionId: id, transport: kind, open: this.#sessions.size, ...details }, 'session opened');
    return session;
  }

  #forget(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    clearInterval(session.keepaliveTimer);
    session.abandonInFlight();
    this.#opts.metrics.sessionsOpen.dec({ transport: session.kind });
    this.#opts.logger.info({ sessionId: id, transport: session.kind, open: this.#sessions.size }, 'session ended');
    if (!session.closing) void this.#close(session, 'transport closed');
  }

  async #close(session: Session, reason: string): Promise<void> {
    if (session.closing) return;
    session.closing = true;
    this.#forget(session.id);
    this.#opts.logger.debug({ sessionId: session.id, reason }, 'closing session');
    await session.server.close().catch(() => undefined);
    await session.transport.close().catch(() => undefined);
  }

  /**
   * Counts each JSON-RPC request the transport receives as in-flight work until its response is sent, so
   * shutdown can wait for calls that answer on a stream (legacy SSE answers after POST /messages returned 202).
   */
  #trackInFlight(transport: Transport): void {
    const pending = new Map<string | number, () => void>();
    const onmessage = transport.onmessage;
    transport.onmessage = (message: JSONRPCMessage, extra) => {
      if (isJSONRPCRequest(message)) {
        pending.get(message.id)?.();
        pending.set(message.id, this.#opts.lifecycle.begin());
      }
      onmessage?.(message, extra);
    };
    const send = transport.send.bind(transport);
    transport.send = async (message, options) => {
      try {
        await send(message, options);
      } finally {
        if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) {
          pending.get(message.id)?.();
          pending.delete(message.id);
        }
      }
    };
    const id = transport.sessionId;
    const session = id ? this.#sessions.get(id) : undefined;
    const abandon = () => {
      for (const end of pending.values()) end();
      pending.clear();
    };
    if (session) session.abandonInFlight = abandon;
    else {
      // Streamable sessions get their id during the initialize request; attach on first lookup instead.
      const previous = transport.onclose;
      transport.onclose = () => {
        abandon();
        previous?.();
      };
    }
  }

  /** Closes sessions idle for longer than MCP_SESSION_IDLE_SECONDS that have no open request or stream. */
  reapIdle(now = Date.now()): number {
    const idleMs = this.#opts.config.mcp.sessionIdleSeconds * 1000;
    let reaped = 0;
    for (const session of [...this.#sessions.values()]) {
      if (session.openRequests > 0 || now - session.lastActivity < idleMs) continue;
      reaped++;
      this.#opts.metrics.sessionsReaped.inc({ transport: session.kind });
      this.#opts.logger.info({ sessionId: session.id, transport: session.kind, idleSeconds: Math.round((now - session.lastActivity) / 1000) }, 'reaping idle session');
      void this.#close(session, 'idle');
    }
    return reaped;
  }

  /**
   * First step of shutdown: end the streams that only wait for server-initiated messages (2025 GET streams,
   * legacy SSE streams with nothing in flight), so clients learn we are leaving; calls in progress continue.
   */
  endIdleStreams(): void {
    for (const session of this.#sessions.values()) {
      if (session.transport instanceof NodeStreamableHTTPServerTransport) session.transport.closeStandaloneSSEStream();
    }
  }

  async closeAll(reason: string): Promise<void> {
    clearInterval(this.#reaper);
    await Promise.all([...this.#sessions.values()].map((s) => this.#close(s, reason)));
  }
}
