// 2024-11-05 HTTP+SSE sessions: GET /sse opens the stream (and the session), POST /messages?sessionId= feeds it.
//
// A stream holds an McpServer only while it is used: built on its first message, released once it has been idle
// for MCP_LEGACY_SSE_SERVER_IDLE_SECONDS with no call in flight (the reaper's pass), built again on the next
// message. Clients keep these streams open for hours between calls, and a server (every tool, resource and prompt
// registered) is about half of what an idle stream holds. What a session's server learns from its client is in the
// handshake (initialize: the client's capabilities, identity and protocol version; logging/setLevel), so a rebuilt
// server is handed those messages again before the next one, and its answers to them are not sent.
import { randomUUID } from 'node:crypto';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import type { Request, Response } from 'express';
import { JsonRpcCode, sendJsonRpcError } from '../../runtime/jsonrpc-error.ts';
import { createServerSeats, type ServerSeats } from '../sdk-adapter.ts';
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
  seating.set(session, { seats: createServerSeats(inFlight.transport), handshake: {} });
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

/** What a legacy session's server learned from the client, as the JSON text of each request's params. */
interface Handshake {
  initialize?: string;
  setLevel?: string;
}

interface Seating {
  seats: ServerSeats;
  handshake: Handshake;
  /** Set from the first message after the stream opened or the server was released, until the next release. */
  ready?: Promise<void>;
}

const seating = new WeakMap<Session, Seating>();
/** Ids of replayed requests: no client picks these, so no answer the client waits for is ever dropped. */
const REPLAY_ID = `mcp-stack-replay-${randomUUID()}`;

/** Builds and connects the session's McpServer when it has none; concurrent messages share it. */
function serverReady(session: Session, state: Seating, buildServer: ServerBuilder): Promise<void> {
  if (!state.ready) {
    const server = buildServer();
    const seat = state.seats.next();
    session.server = server;
    state.ready = server.connect(seat).then(() => seat.replay(handshakeMessages(state.handshake)));
  }
  return state.ready;
}

function handshakeMessages({ initialize, setLevel }: Handshake): JSONRPCMessage[] {
  if (initialize === undefined) return [];
  const messages: JSONRPCMessage[] = [
    { jsonrpc: '2.0', id: `${REPLAY_ID}-initialize`, method: 'initialize', params: JSON.parse(initialize) },
    { jsonrpc: '2.0', method: 'notifications/initialized' },
  ];
  if (setLevel !== undefined)
    messages.push({
      jsonrpc: '2.0',
      id: `${REPLAY_ID}-setLevel`,
      method: 'logging/setLevel',
      params: JSON.parse(setLevel),
    });
  return messages;
}

/**
 * Keeps what a rebuilt server must be told again (of a message the transport accepted): only the members the server
 * keeps, so a client cannot make its session hold more than a server would (unknown members up to the body limit).
 */
function remember(handshake: Handshake, message: { method?: unknown; params?: unknown }): void {
  const params = (message.params ?? {}) as Record<string, unknown>;
  if (message.method === 'initialize') {
    const { protocolVersion, capabilities, clientInfo } = params;
    handshake.initialize = JSON.stringify({ protocolVersion, capabilities, clientInfo });
    handshake.setLevel = undefined;
  } else if (message.method === 'logging/setLevel') handshake.setLevel = JSON.stringify({ level: params.level });
}

/**
 * Releases the McpServer of a legacy session idle since `idleSince` with no call in flight; true if it had one.
 * The stream stays open; the next message builds a server again.
 */
export function releaseIdleServer(session: Session, idleSince: number): boolean {
  const state = seating.get(session);
  const server = session.server;
  if (!state?.ready || !server || session.closing || session.lastActivity > idleSince || !session.inFlight.idle())
    return false;
  state.ready = undefined;
  session.server = undefined;
  void server.close().catch(() => undefined);
  return true;
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
  const state = seating.get(session) as Seating;
  await serverReady(session, state, deps.buildServer);
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
  remember(state.handshake, req.body as { method?: unknown; params?: unknown });
  // What handlePostMessage answers: the result goes down the SSE stream.
  res.writeHead(202).end('Accepted');
}
