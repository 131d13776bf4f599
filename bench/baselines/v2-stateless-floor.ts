// The floor for a server built on the SDK's public 2026-07-28 handler: createMcpHandler behind plain node:http
// with the savings the service makes and nothing else. Its McpServers are prepared once and reused (a pool, as
// the service's, instead of one built per request), the body is parsed once and handed over as `parsedBody`, and
// the answer is written in one piece with its Content-Length. No auth, logs, metrics, limits, request ids, header
// checks or cancellation on disconnect. What it spends per request is about what the SDK's handler costs served
// over HTTP, so its ratio to the bare SDK bounds what a server with features on that handler can reach.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import { CLIENT_INFO_META_KEY, createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { registerBaselineTools } from './tools.ts';

const port = Number(process.argv[2] ?? 8106);

// Only instances that were told a client's info are pooled, and handed only to requests that bring their own
// (every bench request does): client info is optional in the envelope, so an instance that kept another
// client's would otherwise answer for it. The service's pool (src/mcp/server-pool.ts) makes the same split, and
// also keeps an instance out until a cancelled call on it has ended: the bench's tool answers at once.
const idle: McpServer[] = [];
const clientInfoInBody = new AsyncLocalStorage<boolean>();
function build(): McpServer {
  const server = new McpServer({ name: 'bench-v2-floor', version: '0.0.0' });
  registerBaselineTools(server);
  return server;
}
const handler = createMcpHandler((ctx) => {
  if (ctx.era !== 'modern' || clientInfoInBody.getStore() !== true) return build();
  const server = idle.pop() ?? build();
  // The handler calls this once the exchange is over, and restores it after.
  server.server.onclose = () => {
    if (server.server.getClientVersion() !== undefined) idle.push(server);
  };
  return server;
});

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    let parsedBody: { params?: { _meta?: Record<string, unknown> } } | undefined;
    try {
      parsedBody = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i] as string;
      if (name.toLowerCase() !== 'content-length') headers.append(name, req.rawHeaders[i + 1] as string);
    }
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers,
    });
    const withInfo = parsedBody?.params?._meta?.[CLIENT_INFO_META_KEY] !== undefined;
    const response = await clientInfoInBody.run(withInfo, () => handler.fetch(request, { parsedBody }));
    const body = Buffer.from(await response.arrayBuffer());
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status;
    res.setHeader('Content-Length', body.length);
    res.end(body);
  });
}).listen(port, '127.0.0.1', () => console.log(`v2-stateless-floor listening on ${port}`));

// Exit normally on a signal, so `node --cpu-prof` can write its profile when the bench stops the server.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
