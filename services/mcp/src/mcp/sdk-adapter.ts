// The one place that relies on how the SDK drives a Transport: the service watches what a session's transport
// receives and sends (to count in-flight calls) by handing the McpServer a Transport of its own that delegates to
// the SDK's transport, instead of overwriting the SDK transport's callbacks or methods. It relies on:
//   - Protocol.connect() setting onmessage/onclose/onerror and then calling start(), and calling send() for
//     every message it emits (the public Transport contract);
//   - the optional members the server looks for (setProtocolVersion, setSupportedProtocolVersions,
//     setScopeChallengeResolver, hasPerRequestStream, sessionId) being all there is to forward.
// test/sdk-adapter.test.ts fails when an SDK upgrade changes either.
import type { JSONRPCMessage, MessageExtraInfo, Transport, TransportSendOptions } from '@modelcontextprotocol/server';

export interface TransportTap {
  /** A message from the client, just before the server handles it. */
  received(message: JSONRPCMessage): void;
  /** A message from the server, once the transport took it (or failed to). */
  sent(message: JSONRPCMessage): void;
  /** The transport closed (client gone, DELETE, server close). */
  closed(): void;
}

/** The optional members a server may use on a transport; the tapped transport forwards each one the inner has. */
export const FORWARDED_OPTIONAL_MEMBERS = [
  'setProtocolVersion',
  'setSupportedProtocolVersions',
  'setScopeChallengeResolver',
] as const;

type Inner = Transport & Partial<Record<(typeof FORWARDED_OPTIONAL_MEMBERS)[number], (value: never) => void>>;

/** Gives `outer` each optional member `inner` has, bound to `inner`. */
function forwardOptionalMembers(outer: Transport, inner: Inner): void {
  const self = outer as unknown as Record<string, unknown>;
  for (const name of FORWARDED_OPTIONAL_MEMBERS) {
    const member = inner[name];
    if (typeof member === 'function') self[name] = member.bind(inner);
  }
}

class TappedTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  readonly #inner: Inner;
  readonly #tap: TransportTap;
  #started?: Promise<void>;

  constructor(inner: Inner, tap: TransportTap) {
    this.#inner = inner;
    this.#tap = tap;
    forwardOptionalMembers(this, inner);
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  get hasPerRequestStream(): boolean | undefined {
    return this.#inner.hasPerRequestStream;
  }

  /**
   * Starts the inner transport once: a legacy SSE stream is started when it opens, and its McpServer, built on the
   * first message, calls start() again through connect().
   */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  #start(): Promise<void> {
    const inner = this.#inner;
    inner.onmessage = (message, extra) => {
      this.#tap.received(message);
      this.onmessage?.(message, extra);
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onclose = () => {
      this.#tap.closed();
      this.onclose?.();
    };
    return inner.start();
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    try {
      await this.#inner.send(message, options);
    } finally {
      this.#tap.sent(message);
    }
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** A Transport for McpServer.connect() that behaves as `inner` and reports its traffic to `tap`. */
export function tapTransport(inner: Transport, tap: TransportTap): Transport {
  return new TappedTransport(inner as Inner, tap);
}

/**
 * A seat for one McpServer at a time on a transport that outlives it: a legacy SSE stream stays open while its idle
 * server is released and, on the next message, built again (sessions/legacy-sse.ts). Each server connects to a seat
 * of its own, because Protocol.connect() wraps whatever callbacks it finds on its Transport, so a second server on
 * the first one's would chain them. Closing a server vacates its seat and leaves `inner` open; closing `inner`
 * closes the seated server. It relies on Protocol.close() calling the transport's close(), and on its request
 * handlers running in the order the messages arrived (replay).
 */
export interface ServerSeat extends Transport {
  /**
   * Hands the seated server `requests` and notifications as if the client had sent them, before anything else it
   * receives; its answers to them are dropped. A rebuilt server learns the session's handshake this way.
   */
  replay(messages: readonly JSONRPCMessage[]): void;
}

export interface ServerSeats {
  /** A seat for the next server; the current one is vacated. */
  next(): ServerSeat;
}

/** Seats on `inner`, which is started by the session or by the first seated server. */
export function createServerSeats(inner: Transport): ServerSeats {
  let current: Seat | undefined;
  inner.onmessage = (message, extra) => current?.onmessage?.(message, extra);
  inner.onerror = (error) => current?.onerror?.(error);
  inner.onclose = () => current?.vacate();
  const vacate = (seat: Seat) => {
    if (current === seat) current = undefined;
  };
  return {
    next() {
      current?.vacate();
      current = new Seat(inner as Inner, vacate);
      return current;
    },
  };
}

class Seat implements ServerSeat {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: <T extends JSONRPCMessage>(message: T, extra?: MessageExtraInfo) => void;
  readonly #inner: Inner;
  readonly #leave: (seat: Seat) => void;
  /** Replayed requests whose answers are not sent. */
  #unanswered?: Set<string | number>;
  #vacated = false;

  constructor(inner: Inner, leave: (seat: Seat) => void) {
    this.#inner = inner;
    this.#leave = leave;
    forwardOptionalMembers(this, inner);
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  // Not async: it sits on every message's way out, and the inner send's promise is all there is to wait for.
  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#vacated) return Promise.reject(new Error('Not connected'));
    if (this.#unanswered?.size && !('method' in message) && message.id !== undefined) {
      if (this.#unanswered.delete(message.id)) return Promise.resolve();
    }
    return this.#inner.send(message, options);
  }

  replay(messages: readonly JSONRPCMessage[]): void {
    for (const message of messages) {
      if ('method' in message && 'id' in message && message.id !== undefined) {
        this.#unanswered ??= new Set();
        this.#unanswered.add(message.id);
      }
      this.onmessage?.(message);
    }
  }

  /** The server leaves; the transport stays open. */
  async close(): Promise<void> {
    this.vacate();
  }

  vacate(): void {
    if (this.#vacated) return;
    this.#vacated = true;
    this.#leave(this);
    this.onclose?.();
  }
}
