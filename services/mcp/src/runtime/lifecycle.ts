// Process lifecycle shared by the HTTP layer and the MCP transports: whether we are draining, how much work is
// in flight, and which SSE streams are open (so shutdown can end them cleanly instead of cutting them).
import type { ServerResponse } from 'node:http';
import type { McpTransportKind, Metrics } from './metrics.ts';

export class Lifecycle {
  #draining = false;
  #inFlight = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #streams = new Map<ServerResponse, McpTransportKind>();
  readonly #metrics: Metrics;

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
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
   * Watches `res`: once it is answered as an SSE stream (text/event-stream), it is counted in mcp_streams_open
   * and remembered until it closes.
   */
  trackStream(res: ServerResponse, kind: McpTransportKind): void {
    const originalWriteHead = res.writeHead;
    const lifecycle = this;
    res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      const result = (originalWriteHead as (...a: unknown[]) => ServerResponse).apply(this, args);
      if (isEventStream(this, args)) lifecycle.#addStream(this, kind);
      return result;
    } as ServerResponse['writeHead'];
  }

  #addStream(res: ServerResponse, kind: McpTransportKind): void {
    if (this.#streams.has(res)) return;
    this.#streams.set(res, kind);
    this.#metrics.streamsOpen.inc({ transport: kind });
    res.once('close', () => {
      this.#streams.delete(res);
      this.#metrics.streamsOpen.dec({ transport: kind });
    });
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Ends every open SSE stream (used last in shutdown, after in-flight work had its grace period). */
  endAllStreams(): void {
    for (const res of this.#streams.keys()) if (!res.writableEnded) res.end();
  }
}

function isEventStream(res: ServerResponse, args: unknown[]): boolean {
  const declared = res.getHeader('content-type');
  if (typeof declared === 'string' && declared.includes('text/event-stream')) return true;
  for (const arg of args) {
    if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
      for (const [name, value] of Object.entries(arg)) {
        if (name.toLowerCase() === 'content-type' && String(value).includes('text/event-stream')) return true;
      }
    }
  }
  return false;
}
