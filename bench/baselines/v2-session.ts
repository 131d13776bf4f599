// Bare SDK v2, 2025 session mode: one McpServer + NodeStreamableHTTPServerTransport per session,
// kept in a map by Mcp-Session-Id. Plain node:http, no middleware.
// argv: port [json|sse] [eventstore] — "json" answers POSTs with a JSON body instead of an SSE stream, to match
// the reply shape of the server it is compared with; "eventstore" adds a minimal in-memory EventStore
// (resumability, as the service has by default) for diagnosing what that costs.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { type EventStore, type JSONRPCMessage, McpServer } from '@modelcontextprotocol/server';
import { registerBaselineTools } from './tools.ts';

const port = Number(process.argv[2] ?? 8102);
const enableJsonResponse = process.argv[3] === 'json';
const withEventStore = process.argv[4] === 'eventstore';

/** Keeps every event per session, unbounded: a diagnostic stand-in, not for production. */
function memoryEventStore(): EventStore {
  const events = new Map<string, { streamId: string; message: JSONRPCMessage }>();
  let counter = 0;
  return {
    async storeEvent(streamId, message) {
      const id = `${++counter}_${streamId}`;
      events.set(id, { streamId, message });
      return id;
    },
    async getStreamIdForEventId(eventId) {
      return events.get(eventId)?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const streamId = events.get(lastEventId)?.streamId ?? '';
      let after = false;
      for (const [id, e] of events) {
        if (after && e.streamId === streamId) await send(id, e.message);
        if (id === lastEventId) after = true;
      }
      return streamId;
    },
  };
}
const transports = new Map<string, NodeStreamableHTTPServerTransport>();

function buildServer(): McpServer {
  const server = new McpServer({ name: 'bench-v2-session', version: '0.0.0' });
  registerBaselineTools(server);
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const sessionId = req.headers['mcp-session-id'];
  if (typeof sessionId === 'string') {
    const existing = transports.get(sessionId);
    if (!existing) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32001, message: 'Session not found' }, id: null }));
      return;
    }
    await existing.handleRequest(req, res);
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(400).end();
    return;
  }
  // No session header: only an initialize may open one; the transport itself rejects anything else.
  const transport = new NodeStreamableHTTPServerTransport({
    sessionIdGenerator: randomUUID,
    enableJsonResponse,
    ...(withEventStore ? { eventStore: memoryEventStore() } : {}),
    onsessioninitialized: (id) => {
      transports.set(id, transport);
    },
  });
  transport.onclose = () => {
    if (transport.sessionId) transports.delete(transport.sessionId);
  };
  await buildServer().connect(transport);
  await transport.handleRequest(req, res);
}

createServer((req, res) => {
  if (req.url !== '/mcp') {
    res.writeHead(404).end();
    return;
  }
  handle(req, res).catch((error: unknown) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500).end();
  });
}).listen(port, '127.0.0.1', () =>
  console.log(`v2-session listening on ${port} (${enableJsonResponse ? 'json' : 'sse'} replies)`),
);

// Exit normally on a signal, so `node --cpu-prof` can write its profile when the bench stops the server.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
