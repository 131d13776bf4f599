import { performance } from 'node:perf_hooks';

/**
 * A small Server-Sent Events reader that keeps what the SDK clients hide from us: comment lines (the
 * keepalives), the moment each item arrived, and whether the stream was still open when it did.
 * Parsing follows the WHATWG rules: lines end in CRLF, LF or CR; `:` starts a comment; a blank line
 * dispatches the event; `data` lines join with LF.
 */
export type SseItem =
  | { kind: 'event'; event: string; data: string; id?: string; at: number }
  | { kind: 'comment'; text: string; at: number };

export interface SseReader {
  /** The next event or comment; `undefined` once the stream has ended. */
  next(): Promise<SseItem | undefined>;
  /** The next item that is an event (comments are kept in `seen`). */
  nextEvent(): Promise<Extract<SseItem, { kind: 'event' }> | undefined>;
  /** Everything read so far, in order. */
  readonly seen: SseItem[];
  /** True once the server (or anything in between) ended the stream. */
  readonly ended: boolean;
  /** When the stream ended (performance.now()), if it has. */
  readonly endedAt: number | undefined;
  /** Stop reading and release the connection. */
  cancel(): Promise<void>;
}

export function readSse(body: ReadableStream<Uint8Array>): SseReader {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const queue: SseItem[] = [];
  const seen: SseItem[] = [];
  let buffer = '';
  let ended = false;
  let endedAt: number | undefined;
  let eventName = '';
  let data: string[] = [];
  let lastId: string | undefined;
  let sawCr = false;

  function takeLine(line: string, at: number): void {
    if (line === '') {
      if (data.length > 0) {
        queue.push({ kind: 'event', event: eventName || 'message', data: data.join('\n'), id: lastId, at });
      }
      eventName = '';
      data = [];
      return;
    }
    if (line.startsWith(':')) {
      queue.push({ kind: 'comment', text: line.slice(1).trim(), at });
      return;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') eventName = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') lastId = value;
    // `retry` and unknown fields change nothing the tests look at.
  }

  function split(chunk: string, at: number): void {
    for (const ch of chunk) {
      if (sawCr) {
        sawCr = false;
        if (ch === '\n') continue;
      }
      if (ch === '\r' || ch === '\n') {
        sawCr = ch === '\r';
        takeLine(buffer, at);
        buffer = '';
      } else {
        buffer += ch;
      }
    }
  }

  async function pump(): Promise<void> {
    const { value, done } = await reader.read();
    const at = performance.now();
    if (done) {
      ended = true;
      endedAt = at;
      return;
    }
    split(decoder.decode(value, { stream: true }), at);
  }

  async function next(): Promise<SseItem | undefined> {
    while (queue.length === 0 && !ended) await pump();
    const item = queue.shift();
    if (item) seen.push(item);
    return item;
  }

  async function nextEvent(): Promise<Extract<SseItem, { kind: 'event' }> | undefined> {
    for (;;) {
      const item = await next();
      if (item === undefined) return undefined;
      if (item.kind === 'event') return item;
    }
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
    async cancel() {
      if (!ended) await reader.cancel().catch(() => undefined);
      ended = true;
    },
  };
}

/**
 * Reads until `predicate` holds for an item; rejects with what was seen if the stream ends first.
 * This is the event-based wait the long tests use instead of sleeping.
 */
export async function readUntil(
  sse: SseReader,
  predicate: (item: SseItem) => boolean,
  what: string,
): Promise<SseItem> {
  for (;;) {
    const item = await sse.next();
    if (item === undefined) {
      throw new Error(`stream ended before ${what}; saw ${JSON.stringify(sse.seen.slice(-10))}`);
    }
    if (predicate(item)) return item;
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
