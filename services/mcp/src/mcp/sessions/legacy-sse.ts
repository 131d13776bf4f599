// 2024-11-05 HTTP+SSE sessions: GET /sse opens the stream (and the session), POST /messages?sessionId= feeds it.
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { Request, Response } from 'express';
import { JsonRpcCode, sendJsonRpcError } from '../../runtime/jsonrpc-error.ts';
import type { ServerBuilder } from '../server-factory.ts';
import { trackInFlight } from './in-flight.ts';
import type { Session, SessionDeps, SessionRegistry } from './registry.ts';

const KIND = 'legacy-sse';

export async function openLegacySse(
  res: Response,
  messagesPath: string,
  registry: SessionRegistry,
  deps: SessionDeps,
): Promise<void> {
  if (!registry.hasRoom(res)) return;
  const { config, lifecycle } = deps;
  const transport = new SSEServerTransport(messagesPath, res);
  const inFlight = trackInFlight(transport, lifecycle, () => registry.forget(transport.sessionId));
  const session = registry.register({ id: transport.sessionId, kind: KIND, transport, inFlight });
  lifecycle.trackStream(res, KIND);
  registry.attach(session, res);
  res.once('close', () => void registry.close(session, 'stream closed'));
  // The stream and its endpoint event now; the McpServer when the first message arrives (serverReady). A stream
  // that never sends one (a client still starting, or one that only holds connections) costs no server: about
  // half of an open stream's heap, and the endpoint event leaves sooner.
  await inFlight.transport.start();
  // The frozen SSE transport sends no keepalives; proxies cut idle streams, so send SSE comments ourselves.
  const keepaliveMs = config.mcp.keepaliveSeconds * 1000;
  if (keepaliveMs > 0) {
    session.keepaliveTimer = setInterval(() => {
      if (!res.writableEnded && !res.destroyed) res.write(': keepalive\n\n');
    }, keepaliveMs);
    session.keepaliveTimer.unref();
  }
}

/** Builds and connects the session's McpServer on its first message; concurrent first messages share it. */
const serversReady = new WeakMap<Session, Promise<void>>();
function serverReady(session: Session, buildServer: ServerBuilder): Promise<void> {
  let ready = serversReady.get(session);
  if (!ready) {
    const server = buildServer();
    session.server = server;
    ready = server.connect(session.inFlight.transport);
    serversReady.set(session, ready);
  }
  return ready;
}

export async function postLegacyMessage(
  req: Request,
  res: Response,
  registry: SessionRegistry,
  deps: SessionDeps,
): Promise<void> {
  // The one parameter read straight from the URL: Express's req.query parses the whole query string with
  // node:querystring on every read, several times the cost of URLSearchParams for this one value.
  const query = req.url.indexOf('?');
  const sessionId = query === -1 ? undefined : new URLSearchParams(req.url.slice(query + 1)).get('sessionId');
  if (!sessionId) {
    registry.refuse(
      res,
      'missing',
      400,
      JsonRpcCode.ServerError,
      'Bad Request: the sessionId query parameter is required (use the endpoint sent on GET /sse).',
    );
    return;
  }
  const session = registry.findOrRefuse(
    sessionId,
    KIND,
    res,
    'Session not found: its SSE stream was closed. Reconnect with GET /sse.',
  );
  if (!session) return;
  session.lastActivity = Date.now();
  await serverReady(session, deps.buildServer);
  // The message, parsed by the JSON body middleware, goes to the transport's public handleMessage: its
  // handlePostMessage would rebuild it as a web Request (URL, headers) that nothing here reads, check the media type
  // again, and answer an invalid message in plain text ("Invalid message: [object Object]"). handleMessage validates
  // it as a JSON-RPC message (2024-11-05 has no batches on this endpoint) and rejects what is not one.
  try {
    await (session.transport as SSEServerTransport).handleMessage(req.body);
  } catch {
    sendJsonRpcError(
      res,
      400,
      JsonRpcCode.InvalidRequest,
      'Invalid Request: the body must be one JSON-RPC 2.0 request, notification or response.',
    );
    return;
  }
  // What handlePostMessage answers: the result goes down the SSE stream.
  res.writeHead(202).end('Accepted');
}
