// The Node face of the SDK's web-standard handler (createMcpHandler), for requests whose JSON body express has
// already parsed. It replaces toNodeHandler() from @modelcontextprotocol/node, which for such a request
// serializes the parsed body back to JSON and wraps it in a web Request body that handler.fetch never reads (it is
// handed `parsedBody`), then copies a JSON answer through the body stream's async iterator in chunked encoding.
// Here the web Request carries what the handler does read (method, URL, headers, the abort signal), a JSON answer
// is written in one piece with its Content-Length, and an event stream is copied as it comes, with backpressure.
// Only the handler's public face is used: `fetch(request, { parsedBody })`.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { McpHttpHandler } from '@modelcontextprotocol/server';

export type NodeFace = (req: IncomingMessage, res: ServerResponse, parsedBody: unknown) => Promise<void>;

/** Headers of the body express consumed: they describe bytes the web Request does not carry. */
const BODY_FRAMING = new Set(['content-length', 'content-encoding', 'transfer-encoding']);

export function nodeFaceOf(handler: Pick<McpHttpHandler, 'fetch'>, onerror: (error: Error) => void): NodeFace {
  return async (req, res, parsedBody) => {
    const abort = new AbortController();
    let answered = false;
    // The client going away cancels the exchange (the SDK closes its per-request transport on this signal).
    res.once('close', () => {
      if (!answered) abort.abort();
    });
    let response: Response;
    try {
      response = await handler.fetch(webRequestOf(req, abort.signal), { parsedBody });
    } catch (error) {
      onerror(error instanceof Error ? error : new Error(String(error)));
      response = Response.json(
        { jsonrpc: '2.0', error: { code: -32603, message: 'Internal server error' }, id: echoableId(parsedBody) },
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
      res.flushHeaders();
      await copyStream(response.body, res);
      answered = true;
      res.end();
    } else {
      const body = Buffer.from(await response.arrayBuffer());
      answered = true;
      res.setHeader('Content-Length', body.length);
      res.end(body);
    }
  };
}

function webRequestOf(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.charCodeAt(0) === 58 /* ':' HTTP/2 pseudo-header */ || BODY_FRAMING.has(name.toLowerCase())) continue;
    headers.append(name, raw[i + 1] as string);
  }
  const host = req.headers.host ?? req.headers[':authority'] ?? 'localhost';
  return new Request(`http://${host}${req.url ?? '/'}`, { method: req.method ?? 'GET', headers, signal });
}

/** Copies a web stream into the response until it ends or the client goes away, waiting whenever the socket is full. */
async function copyStream(body: ReadableStream<Uint8Array>, res: ServerResponse): Promise<void> {
  const reader = body.getReader();
  const cancel = () => void reader.cancel().catch(() => undefined);
  res.once('close', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) return;
      if (!res.write(value)) await drainedOrClosed(res);
    }
  } catch {
    // The stream failed or was cancelled: the response ends here either way.
  } finally {
    res.off('close', cancel);
  }
}

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
