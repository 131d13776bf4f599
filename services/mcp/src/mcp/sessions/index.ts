// Stateful MCP sessions: 2025 Streamable HTTP clients (Mcp-Session-Id) and 2024-11-05 HTTP+SSE clients. Each
// session owns one McpServer (a legacy one while it is used) and one transport. The jobs live apart:
// registry.ts (open sessions, cap, close), streamable.ts and legacy-sse.ts (the two transports), in-flight.ts
// (calls shutdown waits for), reaper.ts (idle).
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import { openLegacySse, postLegacyMessage } from './legacy-sse.ts';
import { startReaper, sweepIdle } from './reaper.ts';
import { type SessionDeps, SessionRegistry } from './registry.ts';
import { handleStreamable } from './streamable.ts';

export class SessionManager {
  readonly #deps: SessionDeps;
  readonly #registry: SessionRegistry;
  readonly #stopReaper: () => void;

  constructor(deps: SessionDeps) {
    this.#deps = deps;
    this.#registry = new SessionRegistry(deps);
    this.#stopReaper = startReaper(this.#registry, deps);
  }

  get size(): number {
    return this.#registry.size;
  }

  handleStreamable(req: Request, res: Response): Promise<void> {
    return handleStreamable(req, res, this.#registry, this.#deps);
  }

  openLegacySse(res: Response, messagesPath: string): Promise<void> {
    return openLegacySse(res, messagesPath, this.#registry, this.#deps);
  }

  postLegacyMessage(req: Request, res: Response): Promise<void> {
    return postLegacyMessage(req, res, this.#registry, this.#deps);
  }

  /** One reaper pass now (the reaper runs one periodically): sessions reaped, legacy servers released. */
  sweepIdle(now = Date.now()): { reaped: number; released: number } {
    return sweepIdle(this.#registry, this.#deps, now);
  }

  /**
   * First step of shutdown: end the streams that only wait for server-initiated messages (2025 GET streams,
   * legacy SSE streams with nothing in flight), so clients learn we are leaving; calls in progress continue.
   */
  endIdleStreams(): void {
    for (const session of this.#registry.values()) {
      if (session.transport instanceof WebStandardStreamableHTTPServerTransport)
        session.transport.closeStandaloneSSEStream();
    }
  }

  async closeAll(reason: string): Promise<void> {
    this.#stopReaper();
    await this.#registry.closeAll(reason);
  }
}
