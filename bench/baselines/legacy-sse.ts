// Bare SDK legacy HTTP+SSE (server-legacy SSEServerTransport): GET /sse opens the stream and
// announces /messages?sessionId=…; each POST there is answered 202 and the result goes down the stream.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { McpServer } from '@modelcontextprotocol/server';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import { registerBaselineTools } from './tools.ts';

const port = Number(process.argv[2] ?? 8103);
const transports = new Map<string, SSEServerTransport>();

function buildServer(): McpServer {
  const server = new McpServer({ name: 'bench-legacy-sse', version: '0.0.0' });
  registerBaselineTools(server);
  return server;
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/sse') {
    const transport = new SSEServerTransport('/messages', res);
    transports.set(transport.sessionId, transport);
    res.on('close', () => transports.delete(transport.sessionId));
    await buildServer().connect(transport);
    return;
  }
  if (req.method === 'POST' && url.pathname === '/messages') {
    const transport = transports.get(url.searchParams.get('sessionId') ?? '');
    if (!transport) {
      res.writeHead(404).end('Session not found');
      return;
    }
    await transport.handlePostMessage(req, res);
    return;
  }
  res.writeHead(404).end();
}

createServer((req, res) => {
  handle(req, res).catch((error: unknown) => {
    console.error(error);
    if (!res.headersSent) res.writeHead(500).end();
  });
}).listen(port, '127.0.0.1', () => console.log(`legacy-sse listening on ${port}`));

// Exit normally on a signal, so `node --cpu-prof` can write its profile when the bench stops the server.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
