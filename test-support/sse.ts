/**
 * The one Server-Sent Events reader of the tests and the bench. Parsing is eventsource-parser's (the SDK's own
 * parser); on top of it this keeps what the SDK clients hide from a test: comment lines (the keepalives), the
 * moment each item arrived, and whether the stream was still open when it did.
 */
import { performance } from 'node:perf_hooks';
import { createParser } from 'eventsource-parser';

export type SseEvent = { kind: 'event'; event: string; data: string; id?: string; at: number };
export type SseComment = { kind: 'comment'; text: string; at: number };
export type SseItem = SseEvent | SseComment;

/**
 * A push parser for code that reads a stream itself (the bench's node:http load generator): feed it text
 * chunks, get every event and comment back in order. An event without an `event:` field is a `message`.
 */
export function createSseItemParser(onItem: (item: SseItem) => void): { feed(chunk: string): void } {
  let at = 0;
  const parser = createParser({
    onEvent: ({ event, data, id }) => onItem({ kind: 'event', event: event ?? 'message', data, id, at }),
    onComment: (text) => onItem({ kind: 'comment', text: text.trim(), at }),
  });
  return {
    feed(chunk: string) {
      at = performance.now();
      parser.feed(chunk);
    },
  };
}

export interface SseReader extends AsyncIterable<SseItem> {
  /** The next event or comment; `undefined` once the stream has ended. */
  next(): Promise<SseItem | undefined>;
  /** The next item that is an event (comments are kept in `seen`). */
  nextEvent(): Promise<SseEvent | undefined>;
  /** Everything read so far, in order. */
  readonly seen: SseItem[];
  /** True once the server (or anything in between) ended the stream. */
  readonly ended: boolean;
  /** When the stream ended (performance.now()), if it has. */
  readonly endedAt: number | undefined;
  /** Stop reading and release the connection. Leaving a `for await` loop early does this too. */
  cancel(): Promise<void>;
}

/** Reads a fetch response body item by item, pulling from the network only when asked. */
export function readSse(body: ReadableStream<Uint8Array>): SseReader {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: SseItem[] = [];
  const seen: SseItem[] = [];
  const parser = createSseItemParser((item) => queue.push(item));
  let ended = false;
  let endedAt: number | undefined;

  async function pump(): Promise<void> {
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      endedAt = performance.now();
      return;
    }
    parser.feed(decoder.decode(value, { stream: true }));
  }

  async function next(): Promise<SseItem | undefined> {
    while (queue.length === 0 && !ended) await pump();
    const item = queue.shift();
    if (item) seen.push(item);
    return item;
  }

  async function nextEvent(): Promise<SseEvent | undefined> {
    for (;;) {
      const item = await next();
      if (item === undefined || item.kind === 'event') return item;
    }
  }

  async function cancel(): Promise<void> {
    if (!ended) await reader.cancel().catch(() => undefined);
    ended = true;
  }

  return {
    next,
    nextEvent,
    seen,
    get ended() {
      return ended;
    },
    get endedAt() {
      return endedAt;
    },
    cancel,
    async *[Symbol.asyncIterator]() {
      try {
        for (let item = await next(); item !== undefined; item = await next()) yield item;
      } finally {
        await cancel();
      }
    },
  };
}

/**
 * Reads until `predicate` holds for an item; rejects with what was seen if the stream ends first.
 * This is the event-based wait the long tests use instead of sleeping.
 */
export async function readUntil<T extends SseItem>(
  sse: SseReader,
  predicate: ((item: SseItem) => item is T) | ((item: SseItem) => boolean),
  what: string,
): Promise<T> {
  for (;;) {
    const item = await sse.next();
    if (item === undefined) {
      throw new Error(`stream ended before ${what}; saw ${JSON.stringify(sse.seen.slice(-10))}`);
    }
    if (predicate(item)) return item as T;
  }
}

/** Aborts `promise` with a readable error after `ms`, so a hung stream fails the test instead of the suite. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
