// Prepared servers for 2026-07-28 requests (src/mcp/server-pool.ts), served through the SDK's own handler: an
// instance is reused, and nothing of one request reaches the next — not its _meta, client identity, progress
// token, log level, nor a notification its cancelled call sends late.
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { bodyCarriesClientInfo, type CallTracker, createServerPool, type Exchange } from '../src/mcp/server-pool.ts';

const VERSION = '2026-07-28';
const META = 'io.modelcontextprotocol/';

let slowSawAbort = false;
let slowDone = Promise.resolve();
// The instance that served the last probe, and the slow call's own instance and signal while it runs.
let lastProbeServer: McpServer | undefined;
let slowServer: McpServer | undefined;
let slowSignal: AbortSignal | undefined;

function buildProbe(track: CallTracker): McpServer {
  const server = new McpServer({ name: 'pool-probe', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool(
    'probe',
    { description: 'reports what it sees', inputSchema: z.object({}) },
    async (_input, ctx) => {
      const ended = track();
      lastProbeServer = server;
      try {
        const meta = ctx.mcpReq._meta as Record<string, unknown> | undefined;
        await ctx.mcpReq.log('info', 'probe log');
        if (meta?.progressToken !== undefined) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken: meta.progressToken as string, progress: 1 },
          });
        }
        const seen = {
          clientInfo: server.server.getClientVersion() ?? null,
          clientCapabilities: server.server.getClientCapabilities() ?? null,
          marker: meta?.['test/marker'] ?? null,
          progressToken: meta?.progressToken ?? null,
        };
        return { content: [{ type: 'text' as const, text: JSON.stringify(seen) }] };
      } finally {
        ended();
      }
    },
  );
  server.registerTool(
    'slow',
    { description: 'waits to be cancelled', inputSchema: z.object({}) },
    async (_input, ctx) => {
      const ended = track();
      let finish!: () => void;
      slowDone = new Promise((resolve) => (finish = resolve));
      slowServer = server;
      slowSignal = ctx.mcpReq.signal;
      try {
        await new Promise<void>((resolve) => {
          if (ctx.mcpReq.signal.aborted) resolve();
          ctx.mcpReq.signal.addEventListener('abort', () => resolve(), { once: true });
          setTimeout(resolve, 5_000);
        });
        slowSawAbort = ctx.mcpReq.signal.aborted;
        await sleep(50);
        // A late notification from a cancelled call: it must reach no one.
        await ctx.mcpReq
          .notify({ method: 'notifications/progress', params: { progressToken: 'late-token', progress: 99 } })
          .catch(() => undefined);
        return { content: [{ type: 'text' as const, text: 'slow done' }] };
      } finally {
        ended();
        finish();
      }
    },
  );
  return server;
}

interface CallOptions {
  tool?: string;
  clientInfo?: { name: string; version: string };
  clientCapabilities?: Record<string, unknown>;
  marker?: string;
  progressToken?: string;
  logLevel?: string;
  signal?: AbortSignal;
  /** Handed the exchange the call runs in (to cancel it, as router.ts does when the client goes away). */
  onExchange?: (exchange: Exchange) => void;
}

function request(id: number, o: CallOptions): { request: Request; body: unknown } {
  const tool = o.tool ?? 'probe';
  const body = {
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: tool,
      arguments: {},
      _meta: {
        [`${META}protocolVersion`]: VERSION,
        [`${META}clientCapabilities`]: o.clientCapabilities ?? {},
        ...(o.clientInfo && { [`${META}clientInfo`]: o.clientInfo }),
        ...(o.logLevel && { [`${META}logLevel`]: o.logLevel }),
        ...(o.marker && { 'test/marker': o.marker }),
        ...(o.progressToken && { progressToken: o.progressToken }),
      },
    },
  };
  const headers = {
    Accept: 'application/json, text/event-stream',
    'Content-Type': 'application/json',
    'MCP-Protocol-Version': VERSION,
    'Mcp-Method': 'tools/call',
    'Mcp-Name': tool,
  };
  return {
    request: new Request('http://localhost/mcp', {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: o.signal,
    }),
    body,
  };
}

/** Every JSON-RPC message in a response (a JSON body or an SSE stream). */
async function messages(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  if (!response.headers.get('content-type')?.includes('text/event-stream')) return [JSON.parse(text)];
  return text
    .split('\n')
    .filter((line) => line.startsWith('data:') && line.length > 5)
    .map((line) => JSON.parse(line.slice(5)));
}

describe('server pool (2026-07-28 stateless)', () => {
  const facts = new AsyncLocalStorage<Exchange>();
  const pool = createServerPool(buildProbe, { maxIdle: 8, exchange: () => facts.getStore() });
  const handler = createMcpHandler(pool.factory, { legacy: 'reject' });
  const call = async (id: number, o: CallOptions) => {
    const { request: req, body } = request(id, o);
    const exchange: Exchange = { carriesClientInfo: bodyCarriesClientInfo(body) };
    o.onExchange?.(exchange);
    const all = await facts.run(exchange, () => handler.fetch(req, { parsedBody: body })).then(messages);
    const result = all.find((m) => m.id === id) as { result?: { content: { text: string }[] } } | undefined;
    return { all, seen: result?.result ? JSON.parse(result.result.content[0]!.text) : undefined };
  };

  it('reuses instances and leaks no _meta, client identity, progress token or log level', async () => {
    const anonymous = await call(1, {});
    assert.deepEqual(anonymous.seen, { clientInfo: null, clientCapabilities: {}, marker: null, progressToken: null });

    const first = await call(2, {
      clientInfo: { name: 'first', version: '1' },
      clientCapabilities: { sampling: {} },
      marker: 'one',
      progressToken: 'tok-1',
      logLevel: 'debug',
    });
    assert.deepEqual(first.seen, {
      clientInfo: { name: 'first', version: '1' },
      clientCapabilities: { sampling: {} },
      marker: 'one',
      progressToken: 'tok-1',
    });
    assert.ok(
      first.all.some((m) => m.method === 'notifications/message'),
      'the log reached the request that asked for it',
    );
    assert.ok(
      first.all.some((m) => m.method === 'notifications/progress'),
      'progress reached the request that asked for it',
    );
    assert.equal(pool.built, 1, 'the second request reused the first instance');

    const second = await call(3, {});
    assert.deepEqual(second.seen, { clientInfo: null, clientCapabilities: {}, marker: null, progressToken: null });
    assert.equal(second.all.length, 1, `no log or progress notification leaked: ${JSON.stringify(second.all)}`);

    const third = await call(4, { clientInfo: { name: 'third', version: '3' } });
    assert.deepEqual(third.seen, {
      clientInfo: { name: 'third', version: '3' },
      clientCapabilities: {},
      marker: null,
      progressToken: null,
    });
    assert.equal(third.all.length, 1);
    assert.equal(pool.built, 2, 'two instances served four requests');
  });

  it('cancels a call with its request, and what it sends afterwards reaches no later request', async () => {
    const builtBefore = pool.built;
    const abort = new AbortController();
    const slow = call(10, {
      tool: 'slow',
      clientInfo: { name: 'slow', version: '1' },
      progressToken: 'slow-token',
      signal: abort.signal,
    }).catch(() => undefined);
    await sleep(100);
    abort.abort();
    await slow;
    await slowDone;
    assert.ok(slowSawAbort, 'the tool saw the cancellation');
    const after = await call(11, { clientInfo: { name: 'after', version: '1' }, progressToken: 'after-token' });
    assert.equal(after.seen.clientInfo.name, 'after');
    assert.ok(!JSON.stringify(after.all).includes('late-token'), 'the cancelled call’s late notification did not leak');
    assert.ok(pool.built <= builtBefore + 1);
  });

  it('cancels a call through its exchange, as when the client goes away', async () => {
    let exchange: Exchange | undefined;
    slowSawAbort = false;
    const slow = call(20, {
      tool: 'slow',
      clientInfo: { name: 'gone', version: '1' },
      onExchange: (e) => (exchange = e),
    });
    await sleep(100);
    assert.ok(exchange?.cancel, 'the pool gave the exchange a way to end it');
    exchange.cancel();
    await slow.catch(() => undefined);
    await slowDone;
    assert.ok(slowSawAbort, 'the tool saw the cancellation');
  });

  it("a cancel after its exchange ended leaves the instance's next exchange alone", async () => {
    let first: Exchange | undefined;
    await call(30, { clientInfo: { name: 'first', version: '1' }, onExchange: (e) => (first = e) });
    const reused = lastProbeServer;
    let second: Exchange | undefined;
    const slow = call(31, {
      tool: 'slow',
      clientInfo: { name: 'second', version: '1' },
      onExchange: (e) => (second = e),
    });
    await sleep(100);
    assert.equal(slowServer, reused, 'the second exchange runs on the first one’s instance');
    first?.cancel?.();
    await sleep(50);
    assert.equal(slowSignal?.aborted, false, 'the late cancel did not end the exchange the instance serves now');
    second?.cancel?.();
    await slow.catch(() => undefined);
    await slowDone;
    assert.ok(slowSawAbort);
  });
});
