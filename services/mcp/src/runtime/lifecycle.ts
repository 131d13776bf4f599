// Process lifecycle shared by the HTTP layer and the MCP transports: whether we are draining, how much work is
// in flight, and which SSE streams are open (so shutdown can end them cleanly instead of cutting them).
import type { ServerResponse } from 'node:http';
import type { McpTransportKind, Metrics } from './metrics.ts';

export class Lifecycle {
  #draining = false;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #responses = new Map<ServerResponse, McpTransportKind>();

  constructor(metrics: Metrics) {
    metrics.countOpenStreams = () => this.#countStreams();
  }

  get draining(): boolean {
    return this.#draining;
  }

  startDraining(): void {
    this.#draining = true;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Marks one unit of work (a JSON-RPC request being handled) as started; call the returned function once done. */
  begin(): () => void {
    this.#inFlight++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inFlight--;
      if (this.#inFlight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    };
  }

  /** Resolves true when nothing is in flight, false if `timeoutMs` passes first. */
  waitIdle(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Remembers an MCP response until it closes. It counts as an open stream (mcp_streams_open, shutdown) once it
   * was answered as text/event-stream. Read from the response's headers: the app sets headers (request id,
   * security headers) before any MCP handler runs, so the ones a transport passes to writeHead are merged there.
   */
  trackStream(res: ServerResponse, kind: McpTransportKind): void {
    this.#responses.set(res, kind);
    res.once('close', () => this.#responses.delete(res));
  }

  get openStreams(): number {
    let open = 0;
    for (const res of this.#responses.keys()) if (isEventStream(res)) open++;
    return open;
  }

  #countStreams(): Record<McpTransportKind, number> {
    const counts: Record<McpTransportKind, number> = {
      'streamable-stateless': 0,
      'streamable-session': 0,
      'legacy-sse': 0,
    };
    for (const [res, kind] of this.#responses) if (isEventStream(res)) counts[kind]++;
    return counts;
  }

  /** Ends every MCP response still open (last in shutdown, after in-flight work had its grace period). */
  endAllStreams(): void {
    for (const res of this.#responses.keys()) if (!res.writableEnded) res.end();
  }
}

function isEventStream(res: ServerResponse): boolean {
  return res.headersSent && String(res.getHeader('content-type') ?? '').includes('text/event-stream');
}
