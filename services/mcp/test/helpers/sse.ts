// A small reader for text/event-stream bodies that also surfaces comment lines (": keepalive"), which
// EventSource implementations swallow; tests need to see them.
export interface SseFrame {
  /** Comment lines (without the leading colon) seen in this frame. */
  comments: string[];
  event?: string;
  id?: string;
  data?: string;
  retry?: number;
}

export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const frame: SseFrame = { comments: [] };
        for (const line of raw.split(/\r?\n/)) {
          if (line.startsWith(':')) frame.comments.push(line.slice(1).trim());
          else {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data') frame.data = frame.data === undefined ? val : `${frame.data}\n${val}`;
            else if (field === 'event') frame.event = val;
            else if (field === 'id') frame.id = val;
            else if (field === 'retry') frame.retry = Number(val);
          }
        }
        yield frame;
      }
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
