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
    const self = this as unknown as Record<string, unknown>;
    for (const name of FORWARDED_OPTIONAL_MEMBERS) {
      const member = inner[name];
      if (typeof member === 'function') self[name] = member.bind(inner);
    }
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
