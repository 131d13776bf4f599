// Prepared McpServers for 2026-07-28 stateless requests, reused instead of built (and every tool registered)
// per request. Only the SDK's public API is used: the handler asks the factory for an instance that is not
// serving (it checks `server.transport`), connects it to the exchange's own transport and closes it when the
// exchange ends; the low-level server's `onclose` returns it here.
//
// What could leak from one request to the next, and why it does not:
//   - _meta, progress token, log level, cancellation: per request in the SDK (the request context and the
//     2026-07-28 envelope), and an instance goes back only once its exchange closed (which aborts what was left)
//     and every tool call started on it has finished (`track`), so a late progress notification has no exchange
//     to reach.
//   - client identity: the envelope's client capabilities are required and overwrite the instance's on every
//     request; client info is optional, so an instance that was told one (getClientVersion()) is handed only to
//     requests that carry their own. See test/server-pool.test.ts.
//
// A client that goes away mid-call cancels its exchange through `Exchange.cancel`, which closes the instance only
// while it still serves that exchange (once the exchange is over the instance may already serve another). The
// SDK would do the same on the web Request's abort signal, but a Request that follows a signal costs ~6% of a
// call: undici registers each for finalization, which keeps it alive into the old generation.
import type { McpServer, McpServerFactory, RequestMetaEnvelope } from '@modelcontextprotocol/server';
import { CLIENT_INFO_META_KEY } from '@modelcontextprotocol/server';

/** Marks one long-running handler (a tool call) as running on the instance; call the result when it ends. */
export type CallTracker = () => () => void;

/** One HTTP exchange as the pool sees it: what the request brings, and how to end it early. */
export interface Exchange {
  /** Whether the request carries client info in its envelope (the caller knows its parsed body). */
  readonly carriesClientInfo: boolean;
  /** Set once an instance serves the exchange: ends the exchange if the instance still serves it. */
  cancel?: () => void;
}

export interface ServerPoolOptions {
  /**
   * Idle instances kept per kind (with and without client info); more are left to the garbage collector. 0 never
   * reuses an instance (the conformance fixtures' test tools are not call-tracked).
   */
  maxIdle: number;
  /** The exchange being served, when the caller runs the handler in one (see router.ts). */
  exchange(): Exchange | undefined;
}

interface Slot {
  server: McpServer;
  active: number;
  /** The exchange the instance serves, while it serves one. */
  serving: Exchange | null;
}

export interface ServerPool {
  /** The factory for createMcpHandler's modern (2026-07-28) era; other eras get a fresh instance. */
  factory: McpServerFactory;
  /** Instances built so far (for tests and the bench). */
  readonly built: number;
  readonly idle: number;
}

export function createServerPool(build: (track: CallTracker) => McpServer, options: ServerPoolOptions): ServerPool {
  // An instance that was never told a client's info, and one that was: handed out to different requests.
  const anonymous: Slot[] = [];
  const identified: Slot[] = [];
  let built = 0;

  const release = (slot: Slot) => {
    if (slot.serving !== null || slot.active > 0) return;
    const idle = slot.server.server.getClientVersion() === undefined ? anonymous : identified;
    if (idle.length < options.maxIdle) idle.push(slot);
  };

  const create = (): Slot => {
    built++;
    const slot: Slot = { server: undefined as unknown as McpServer, active: 0, serving: null };
    slot.server = build(() => {
      slot.active++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        slot.active--;
        release(slot);
      };
    });
    // The handler restores this callback after each exchange and calls it once the exchange closed.
    slot.server.server.onclose = () => {
      slot.serving = null;
      release(slot);
    };
    return slot;
  };

  const factory: McpServerFactory = (ctx) => {
    const exchange = options.exchange();
    if (ctx.era !== 'modern') {
      // Built for this exchange alone: closing it can end no other.
      const server = build(() => () => undefined);
      if (exchange) exchange.cancel = () => void server.close().catch(() => undefined);
      return server;
    }
    const withInfo = exchange?.carriesClientInfo === true;
    const slot = (withInfo ? (identified.pop() ?? anonymous.pop()) : anonymous.pop()) ?? create();
    const serving = exchange ?? { carriesClientInfo: false };
    slot.serving = serving;
    if (exchange)
      exchange.cancel = () => {
        if (slot.serving === serving) void slot.server.close().catch(() => undefined);
      };
    return slot.server;
  };

  return {
    factory,
    get built() {
      return built;
    },
    get idle() {
      return anonymous.length + identified.length;
    },
  };
}

/** True when a parsed 2026-07-28 body's envelope names the client (clientInfo in _meta). */
export function bodyCarriesClientInfo(body: unknown): boolean {
  const meta = (body as { params?: { _meta?: RequestMetaEnvelope } } | undefined)?.params?._meta as
    | Record<string, unknown>
    | undefined;
  return meta?.[CLIENT_INFO_META_KEY] !== undefined;
}
