// The Node face of the SDK's web-standard handlers (createMcpHandler's `fetch`, a session transport's
// `handleRequest`), for requests whose JSON body express has already parsed. It replaces the SDK's Node adapters
// (toNodeHandler() and NodeStreamableHTTPServerTransport from @modelcontextprotocol/node). For such a request
// toNodeHandler serializes the parsed body back to JSON and wraps it in a web Request body the handler never
// reads (it is handed `parsedBody`), then copies a JSON answer through the body stream's async iterator in
// chunked encoding; the session transport's Node wrapper, when an event stream has its first event but not yet
// its second, waits a timer tick (≥ 1 ms) before sending anything, which a 2025 session with resumability on
// paid on every call. Here the web Request carries what the handlers read (method, URL, headers, the abort
// signal), a JSON answer is written in one piece with its Content-Length, and an event stream is copied as it
// comes, with backpressure. Only the SDK's public faces are used.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Logger } from 'pino';
import { JsonRpcCode } from '../runtime/jsonrpc-error.ts';

/** A web-standard MCP handler: createMcpHandler's `fetch`, or a session transport's `handleRequest`. */
export type WebHandler = (request: Request, options: { parsedBody?: unknown }) => Promise<Response>;

/** What a handler reports out of band (a refused message, a failed write): logged, never answered twice. */
export function transportErrorLog(logger: Logger): (error: Error) => void {
  return (error) => logger.warn({ err: { message: error.message, name: error.name } }, 'MCP transport error');
}

/** Headers of the body express consumed: they describe bytes the web Request does not carry. */
const BODY_FRAMING = new Set(['content-length', 'content-encoding', 'transfer-encoding']);

/**
 * Serves one Node request with `handler`; `parsedBody` is what express parsed (undefined without a body).
 * `abortOnClose`: give the web Request a signal that aborts when the client goes away, for a handler that reads
 * it (createMcpHandler closes the exchange on it). A session transport never reads it, and a signal is not free:
 * undici registers every Request that follows one for finalization, which keeps it alive into the old generation.
 * Its event streams end when the client goes away regardless (the copy cancels them).
 */
export async function serveWithWebHandler(
  handler: WebHandler,
  req: IncomingMessage,
  res: ServerResponse,
  parsedBody: unknown,
  onerror: (error: Error) => void,
  { abortOnClose }: { abortOnClose: boolean },
): Promise<void> {
  let answered = false;
  let signal: AbortSignal | undefined;
  if (abortOnClose) {
    const abort = new AbortController();
    signal = abort.signal;
    res.once('close', () => {
      if (!answered) abort.abort();
    });
  }
  let response: Response;
  try {
    response = await handler(webRequestOf(req, signal), { parsedBody });
  } catch (error) {
    onerror(error instanceof Error ? error : new Error(String(error)));
    response = Response.json(
      {
        jsonrpc: '2.0',
        error: { code: JsonRpcCode.InternalError, message: 'Internal server error' },
        id: echoableId(parsedBody),
      },
      { status: 500 },
    );
  }
  if (res.destroyed) {
    answered = true;
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  for (const [name, value] of response.headers) res.setHeader(name, value);
  res.statusCode = response.status;
  if (response.body === null) {
    answered = true;
    res.end();
  } else if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await copyStream(response.body, res);
    answered = true;
    res.end();
  } else {
    const body = Buffer.from(await response.arrayBuffer());
    answered = true;
    res.setHeader('Content-Length', body.length);
    res.end(body);
  }
}

function webRequestOf(req: IncomingMessage, signal: AbortSignal | undefined): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 58 /* ':' HTTP/2 pseudo-header */ || BODY_FRAMING.has(name.toLowerCase())) continue;
    headers.append(name, raw[i + 1] as string);
  }
  const host = req.headers.host ?? req.headers[':authority'] ?? 'localhost';
  const init: RequestInit = { method: req.method ?? 'GET', headers };
  if (signal !== undefined) init.signal = signal;
  return new Request(`http://${host}${req.url ?? '/'}`, init);
}

/**
 * Copies a web stream into the response until it ends or the client goes away, waiting whenever the socket is
 * full. The headers leave with the first event when it is already there (an answer's priming event), else at
 * once, so that a client waiting on a quiet stream sees it open.
 */
async function copyStream(body: ReadableStream<Uint8Array>, res: ServerResponse): Promise<void> {
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  res.once('close', cancel);
  try {
    let next = reader.read();
    // A chunk already in the stream is read within microtasks, before the next turn of the event loop.
    if ((await Promise.race([next, nextTurn(NOT_YET)])) === NOT_YET) res.flushHeaders();
    for (;;) {
      const { done, value } = await next;
      if (done || res.destroyed) return;
      if (!res.write(value)) await drainedOrClosed(res);
      next = reader.read();
    }
  } catch {
    // The stream failed or was cancelled: the response ends here either way.
  } finally {
    res.off('close', cancel);
  }
}

const NOT_YET = Symbol('no chunk yet');

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.once('drain', done);
    res.once('close', done);
  });
}

/** The id an error answer may echo: a single request's string or number id, else null. */
function echoableId(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}
