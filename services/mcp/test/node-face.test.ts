// The Node face of the SDK's web-standard handlers (src/mcp/node-face.ts), with the 2026-07-28 handler on a real
// node:http server: a JSON answer leaves in one piece with its Content-Length, a streamed answer as an event
// stream, a client that goes away cancels its call, and a handler that throws becomes a JSON-RPC internal error
// with the request's id. (2025 sessions go through the same face: sessions.test.ts, resumability.test.ts.)
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { modernHeaders, modernMessage } from '@mcp-stack/test-support/mcp-wire';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { serveWithWebHandler, type WebHandler } from '../src/mcp/node-face.ts';

let slowCancelled: (aborted: boolean) => void;
const slowEnded = new Promise<boolean>((resolve) => (slowCancelled = resolve));

function buildServer(): McpServer {
  const server = new McpServer({ name: 'node-face-probe', version: '1.0.0' });
  server.registerTool('echo', { inputSchema: z.object({ text: z.string() }) }, async ({ text }, ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    if (token !== undefined)
      await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress: 1 } });
    return { content: [{ type: 'text' as const, text }] };
  });
  server.registerTool('slow', { inputSchema: z.object({}) }, async (_input, ctx) => {
    await new Promise<void>((resolve) => {
      ctx.mcpReq.signal.addEventListener('abort', () => resolve(), { once: true });
      setTimeout(resolve, 10_000).unref();
    });
    slowCancelled(ctx.mcpReq.signal.aborted);
    return { content: [{ type: 'text' as const, text: 'too late' }] };
  });
  return server;
}

async function bodyOf(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return JSON.parse(text);
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function post(port: number, message: unknown, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/mcp', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(message));
  });
}

describe('the Node face of the 2026-07-28 handler', () => {
  let server: Server;
  let port: number;
  const errors: Error[] = [];
  before(async () => {
    const onerror = (error: Error) => void errors.push(error);
    const handler = createMcpHandler(() => buildServer(), { legacy: 'reject' });
    const failing: WebHandler = async () => {
      throw new Error('handler broke');
    };
    server = createServer(async (req, res) => {
      const body = await bodyOf(req);
      await serveWithWebHandler(req.headers['x-test-fail'] ? failing : handler.fetch, req, res, body, onerror, {
        abortOnClose: true,
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('writes a JSON answer in one piece with its Content-Length', async () => {
    const answer = await post(
      port,
      modernMessage('tools/call', { name: 'echo', arguments: { text: 'héllo' } }, { id: 7 }),
      modernHeaders('tools/call', 'echo'),
    );
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^application\/json/);
    assert.equal(answer.headers['transfer-encoding'], undefined, 'not chunked');
    assert.equal(Number(answer.headers['content-length']), Buffer.byteLength(answer.body));
    const message = JSON.parse(answer.body);
    assert.equal(message.id, 7);
    assert.deepEqual(message.result.content, [{ type: 'text', text: 'héllo' }]);
  });

  it('streams an answer with progress as server-sent events', async () => {
    const answer = await post(
      port,
      modernMessage('tools/call', { name: 'echo', arguments: { text: 'streamed' } }, { id: 8, progressToken: 'p1' }),
      modernHeaders('tools/call', 'echo'),
    );
    assert.equal(answer.status, 200);
    assert.match(String(answer.headers['content-type']), /^text\/event-stream/);
    const data = answer.body
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => JSON.parse(line.slice(6)));
    assert.deepEqual(
      data.map((m) => m.method ?? `result ${m.id}`),
      ['notifications/progress', 'result 8'],
    );
  });

  it('cancels the call when the client goes away', async () => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/mcp',
      headers: modernHeaders('tools/call', 'slow'),
      agent: false,
    });
    req.on('error', () => undefined);
    req.end(JSON.stringify(modernMessage('tools/call', { name: 'slow', arguments: {} })));
    await new Promise((resolve) => setTimeout(resolve, 300));
    req.destroy();
    assert.equal(await slowEnded, true, 'the tool saw its signal abort');
  });

  it('answers a handler that throws with a JSON-RPC internal error carrying the id', async () => {
    const answer = await post(port, modernMessage('tools/list', {}, { id: 'x-9' }), {
      ...modernHeaders('tools/list'),
      'X-Test-Fail': '1',
    });
    assert.equal(answer.status, 500);
    assert.deepEqual(JSON.parse(answer.body), {
      jsonrpc: '2.0',
      error: { code: -32603, message: 'Internal server error' },
      id: 'x-9',
    });
    assert.ok(errors.some((error) => error.message === 'handler broke'));
  });
});
