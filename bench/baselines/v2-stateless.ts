// Bare SDK v2, 2026-07-28 stateless: createMcpHandler builds a fresh McpServer per request.
// Plain node:http, no middleware: the floor our service's stateless mode is compared to.
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { registerBaselineTools } from './tools.ts';

const port = Number(process.argv[2] ?? 8101);

function buildServer(): McpServer {
  const server = new McpServer({ name: 'bench-v2-stateless', version: '0.0.0' });
  registerBaselineTools(server);
  return server;
}

const handler = createMcpHandler(buildServer);
const nodeHandler = toNodeHandler(handler);

createServer((req, res) => {
  if (req.url === '/mcp' || req.url?.startsWith('/mcp?')) {
    void nodeHandler(req, res);
    return;
  }
  res.writeHead(404).end();
}).listen(port, '127.0.0.1', () => console.log(`v2-stateless listening on ${port}`));

// Exit normally on a signal, so `node --cpu-prof` can write its profile when the bench stops the server.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
