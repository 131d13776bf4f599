// The ceiling: a raw node:http JSON-RPC responder that parses the request and answers tools/call
// "echo" with the same result shape — no SDK, no validation. Nothing MCP-shaped can be faster.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8104);

// What server_info answers (same shape as the service's), for runs that call server_info instead of echo.
const info = {
  name: 'mcp-stack',
  version: '0.1.0',
  environment: 'production',
  provider: 'ollama',
  model: 'mcp-stack-tiny',
  llmBaseUrl: 'http://127.0.0.1:9',
  node: process.version,
};
const SERVER_INFO_RESULT = {
  content: [
    {
      type: 'text',
      text: `mcp-stack ${info.version} (${info.environment}): ${info.provider} model ${info.model} at ${info.llmBaseUrl}`,
    },
  ],
  structuredContent: info,
};

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let message: { id?: unknown; method?: string; params?: { name?: string; arguments?: { text?: unknown } } };
    try {
      message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }));
      return;
    }
    let body: unknown;
    if (message.method !== 'tools/call')
      body = { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } };
    else if (message.params?.name === 'echo')
      body = {
        jsonrpc: '2.0',
        id: message.id,
        result: { content: [{ type: 'text', text: String(message.params.arguments?.text ?? '') }] },
      };
    else body = { jsonrpc: '2.0', id: message.id, result: SERVER_INFO_RESULT };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
}).listen(port, '127.0.0.1', () => console.log(`raw-ceiling listening on ${port}`));

// Exit normally on a signal, so `node --cpu-prof` can write its profile when the bench stops the server.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
