// 2025 Streamable HTTP sessions (Mcp-Session-Id): initialize opens one, every later request carries its id.
import { isInitializeRequest, WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import { compactUuid } from '../../runtime/compact-string.ts';
import { JsonRpcCode } from '../../runtime/jsonrpc-error.ts';
import { BoundedEventStore } from '../event-store.ts';
import { serveWithWebHandler, transportErrorLog } from '../node-face.ts';
import { trackInFlight } from './in-flight.ts';
import type { SessionDeps, SessionRegistry } from './registry.ts';

/** The SSE retry hint (ms) sent with priming events, so clients resume promptly after a stream is closed. */
const SSE_RETRY_MS = 1000;
const KIND = 'streamable-session';

export async function handleStreamable(
  req: Request,
  res: Response,
  registry: SessionRegistry,
  deps: SessionDeps,
): Promise<void> {
  const sessionId = req.get('mcp-session-id');
  if (sessionId !== undefined) {
    const session = registry.findOrRefuse(
      sessionId,
      KIND,
      res,
      'Session not found: it expired or was closed. Start a new session with initialize.',
    );
    if (!session) return;
    registry.attach(session, res);
    deps.lifecycle.trackStream(res, KIND);
    await serve(session.transport as WebStandardStreamableHTTPServerTransport, req, res, deps);
    return;
  }

  const body: unknown = req.body;
  const isInitialize =
    req.method === 'POST' &&
    (Array.isArray(body) ? body.some((m) => isInitializeRequest(m)) : isInitializeRequest(body));
  if (!isInitialize) {
    registry.refuse(
      res,
      'missing',
      400,
      JsonRpcCode.ServerError,
      'Bad Request: Mcp-Session-Id header is required. Send an initialize request first to open a session.',
    );
    return;
  }
  if (!registry.hasRoom(res)) return;
  await openSession(req, res, registry, deps);
}

async function openSession(req: Request, res: Response, registry: SessionRegistry, deps: SessionDeps): Promise<void> {
  const { config, buildServer, lifecycle, logger, metrics } = deps;
  const release = registry.reserve();
  let registered = false;
  // The callbacks below live as long as the session, and closures share their scope's variables: none of them may
  // name req or res, or every idle session would keep its initialize request and response (headers, body, socket
  // objects) alive. The one that needs the response takes it from here, emptied once the initialize was answered.
  const requestedVersion = (req.body as { params?: { protocolVersion?: unknown } } | undefined)?.params
    ?.protocolVersion;
  const initializing: { res?: Response } = { res };
  const server = buildServer();
  // MCP_RESUMABILITY=false: no event store, so no replay after a lost stream and nothing stored per message.
  const eventStore = config.mcp.resumability
    ? new BoundedEventStore({ maxEvents: config.mcp.eventStoreMaxEvents, budget: registry.eventBudget })
    : undefined;
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: compactUuid,
    eventStore,
    retryInterval: SSE_RETRY_MS,
    keepAliveMs: config.mcp.keepaliveSeconds * 1000,
    maxRequestBodySize: config.security.maxBodyBytes,
    onsessioninitialized: (id) => {
      release();
      registered = true;
      const session = registry.register({ id, kind: KIND, server, transport, inFlight }, { requestedVersion });
      if (initializing.res) registry.attach(session, initializing.res);
    },
    onsessionclosed: (id) => {
      logger.info({ sessionId: id }, 'session closed by client (DELETE)');
    },
  });
  const inFlight = trackInFlight(
    transport,
    lifecycle,
    () => {
      eventStore?.dispose();
      const id = transport.sessionId;
      if (id) registry.forget(id);
    },
    // A cancelled call gets no response: end its POST stream, or the client's connection stays open for nothing.
    (requestId) => transport.closeSSEStream(requestId),
  );
  await server.connect(inFlight.transport);
  lifecycle.trackStream(res, KIND);
  try {
    await serve(transport, req, res, deps);
  } finally {
    initializing.res = undefined;
    if (!registered) {
      // The initialize was refused (bad params, bad headers): nothing to keep.
      release();
      await server.close().catch(() => undefined);
      metrics.sessionsRejected.labels('initialize_failed').inc();
    }
  }
}

function serve(
  transport: WebStandardStreamableHTTPServerTransport,
  req: Request,
  res: Response,
  deps: SessionDeps,
): Promise<void> {
  return serveWithWebHandler(
    (request, options) => transport.handleRequest(request, options),
    req,
    res,
    req.body,
    transportErrorLog(deps.logger),
    { abortOnClose: false },
  );
}
