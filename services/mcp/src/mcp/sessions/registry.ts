// The open sessions: capped (503 past MCP_MAX_SESSIONS), counted in metrics and logs, closed exactly once.

import type { ServerResponse } from 'node:http';
import type { McpServer, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import { JsonRpcCode, sendJsonRpcError } from '../../runtime/jsonrpc-error.ts';
import type { Lifecycle } from '../../runtime/lifecycle.ts';
import type { McpTransportKind, Metrics } from '../../runtime/metrics.ts';
import { EventStoreBudget } from '../event-store.ts';
import type { ServerBuilder } from '../server-factory.ts';
import type { InFlight } from './in-flight.ts';

export type SessionKind = Extract<McpTransportKind, 'streamable-session' | 'legacy-sse'>;

export interface Session {
  id: string;
  kind: SessionKind;
  /** A legacy SSE session has none until its first message (legacy-sse.ts). */
  server?: McpServer;
  transport: WebStandardStreamableHTTPServerTransport | SSEServerTransport;
  inFlight: InFlight;
  lastActivity: number;
  /** HTTP requests (including open GET streams) currently attached to the session. */
  openRequests: number;
  keepaliveTimer?: NodeJS.Timeout;
  closing: boolean;
}

/** What the session parts are handed (built once by SessionManager). */
export interface SessionDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
  /** Builds the McpServer of a new session. */
  buildServer: ServerBuilder;
}

export class SessionRegistry {
  readonly #sessions = new Map<string, Session>();
  /** Sessions being opened (initialize in progress): they count against the cap too. */
  #pending = 0;
  readonly #deps: SessionDeps;
  /** The byte budget every session's event store shares (MCP_EVENT_STORE_MAX_BYTES_*). */
  readonly eventBudget: EventStoreBudget;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    const { mcp } = deps.config;
    this.eventBudget = new EventStoreBudget(
      { maxBytesPerSession: mcp.eventStoreMaxBytesPerSession, maxBytesTotal: mcp.eventStoreMaxBytesTotal },
      (bytes) => deps.metrics.eventStoreBytes.set(bytes),
    );
  }

  get size(): number {
    return this.#sessions.size;
  }

  values(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  /** The open session with this id and kind, if any. */
  find(id: string, kind: SessionKind): Session | undefined {
    const session = this.#sessions.get(id);
    return session?.kind === kind ? session : undefined;
  }

  /** The open session of this kind with this id, or undefined once `res` was answered 404 with `message`. */
  findOrRefuse(id: string, kind: SessionKind, res: Response, message: string): Session | undefined {
    const session = this.find(id, kind);
    if (!session) this.refuse(res, 'unknown', 404, JsonRpcCode.SessionNotFound, message);
    return session;
  }

  /** True when one more session fits; otherwise answers 503 on `res` and returns false. */
  hasRoom(res: Response): boolean {
    const { config, logger } = this.#deps;
    const max = config.mcp.maxSessions;
    if (this.#sessions.size + this.#pending < max) return true;
    logger.warn({ max }, 'session limit reached; refusing a new session');
    this.refuse(
      res,
      'limit',
      503,
      JsonRpcCode.ServerError,
      `Service busy: the limit of ${max} open MCP sessions is reached (MCP_MAX_SESSIONS). Retry shortly.`,
      { 'Retry-After': '5' },
    );
    return false;
  }

  /** Refuses a request on the session routes: counted by reason, answered in the JSON-RPC error contract. */
  refuse(
    res: Response,
    reason: 'missing' | 'unknown' | 'limit',
    status: number,
    code: number,
    message: string,
    headers?: Record<string, string>,
  ): void {
    this.#deps.metrics.sessionsRejected.labels(reason).inc();
    sendJsonRpcError(res, status, code, message, headers);
  }

  /** Holds a place for a session whose initialize is in progress; call the returned function once, either way. */
  reserve(): () => void {
    this.#pending++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#pending--;
    };
  }

  register(
    session: Omit<Session, 'lastActivity' | 'openRequests' | 'closing'>,
    details: Record<string, unknown> = {},
  ): Session {
    const full: Session = { ...session, lastActivity: Date.now(), openRequests: 0, closing: false };
    this.#sessions.set(full.id, full);
    this.#deps.metrics.sessionsOpen.inc({ transport: full.kind });
    this.#deps.logger.info(
      { sessionId: full.id, transport: full.kind, open: this.#sessions.size, ...details },
      'session opened',
    );
    return full;
  }

  /** Counts the request against the session while it is open (so a session with a live stream is never idle). */
  attach(session: Session, res: ServerResponse): void {
    session.openRequests++;
    session.lastActivity = Date.now();
    res.once('close', () => {
      session.openRequests--;
      session.lastActivity = Date.now();
    });
  }

  /** The transport closed: drop the session and close its server (once). */
  forget(id: string): void {
    const session = this.#sessions.get(id);
    if (!session) return;
    this.#sessions.delete(id);
    clearInterval(session.keepaliveTimer);
    session.inFlight.abandon();
    this.#deps.metrics.sessionsOpen.dec({ transport: session.kind });
    this.#deps.logger.info({ sessionId: id, transport: session.kind, open: this.#sessions.size }, 'session ended');
    if (!session.closing) void this.close(session, 'transport closed');
  }

  async close(session: Session, reason: string): Promise<void> {
    if (session.closing) return;
    session.closing = true;
    this.forget(session.id);
    this.#deps.logger.debug({ sessionId: session.id, reason }, 'closing session');
    await session.server?.close().catch(() => undefined);
    await session.transport.close().catch(() => undefined);
  }

  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((session) => this.close(session, reason)));
  }
}
