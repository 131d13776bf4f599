// What a long-lived session keeps: nothing of the HTTP exchanges that opened or used it, beyond the stream it
// still writes to. A session lives for minutes to hours; a request or response object it kept (headers, body,
// socket objects) would be paid for by every idle session. And what a request leaves behind: nothing that young
// collections cannot reclaim. Run in-process with V8's gc(), so "collectable" is checked directly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapSpaceStatistics, queryObjects, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { authHeaders } from '@mcp-stack/test-support/credentials';
import {
  INITIALIZED_NOTIFICATION,
  initializeMessage,
  MCP_ACCEPT,
  MODERN_VERSION,
  modernMessage,
  openRawSession,
  toolCallMessage,
} from '@mcp-stack/test-support/mcp-wire';
import { readSse } from '@mcp-stack/test-support/sse';
import { classifyInboundRequest, McpServer } from '@modelcontextprotocol/server';
import { type ListeningApp, listenApp } from './helpers/in-process-app.ts';
import { buildDeps } from './helpers/llm-deps.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options?: { type: 'major' | 'minor' }) => void;

describe('a session between requests', () => {
  let served: ListeningApp;
  let baseUrl: string;
  /** Every request and response the server saw, weakly, by method and path. */
  let exchanges: { what: string; ref: WeakRef<object> }[] = [];
  before(async () => {
    served = await listenApp(
      buildDeps({ LLM_PROVIDER: 'ollama', OLLAMA_BASE_URL: 'http://127.0.0.1:9', MCP_KEEPALIVE_SECONDS: '0' }),
      {
        onRequest: (req, res) => {
          const what = `${req.method} ${req.url?.split('?')[0]}`;
          exchanges.push(
            { what: `${what} request`, ref: new WeakRef(req) },
            { what: `${what} response`, ref: new WeakRef(res) },
          );
        },
      },
    );
    baseUrl = served.baseUrl;
  });
  after(async () => {
    await served.app.mcp.close();
    await served.close();
  });

  /** What is still reachable after a few collections (idle keep-alive sockets closed first: they hold their last request). */
  async function stillAlive(): Promise<string[]> {
    served.closeIdleConnections();
    let alive = exchanges;
    for (let i = 0; i < 10 && alive.length > 0; i++) {
      await sleep(20);
      gc();
      alive = exchanges.filter((e) => e.ref.deref() !== undefined);
    }
    return alive.map((e) => e.what);
  }

  it('2025: keeps none of the requests and responses that opened and used it', async () => {
    exchanges = [];
    const mcpUrl = `${baseUrl}/mcp`;
    const session = await openRawSession(mcpUrl, { headers: authHeaders() });
    const call = await fetch(mcpUrl, {
      method: 'POST',
      headers: { ...authHeaders(), ...session.headers, 'Content-Type': 'application/json', Accept: MCP_ACCEPT },
      body: JSON.stringify(toolCallMessage('server_info', {}, { id: 2 })),
    });
    assert.equal(call.status, 200);
    await call.text();
    assert.equal(exchanges.length, 6, 'initialize, initialized and one call');
    assert.deepEqual(await stillAlive(), [], 'the idle session keeps these alive');
    assert.equal(served.app.mcp.sessions.size, 1, 'the session is still open');
  });

  it('legacy SSE: keeps its stream, and none of the messages posted to it', async () => {
    exchanges = [];
    const stream = await fetch(`${baseUrl}/sse`, { headers: { ...authHeaders(), Accept: 'text/event-stream' } });
    const events = readSse(stream.body as ReadableStream<Uint8Array>);
    const endpoint = await events.nextEvent();
    assert.equal(endpoint?.event, 'endpoint');
    const posted = await fetch(new URL(endpoint.data, baseUrl), {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify(toolCallMessage('server_info', {}, { id: 1 })),
    });
    assert.equal(posted.status, 202);
    await posted.text();
    assert.match((await events.nextEvent())?.data ?? '', /"id":1/);
    assert.deepEqual(await stillAlive(), ['GET /sse request', 'GET /sse response'], 'only the open stream');
    await events.cancel();
  });
});

describe('an open legacy SSE stream', () => {
  // A stream costs its McpServer (every tool, resource and prompt registered: about half of its heap) only from its
  // first message on: one that never sends any (a client still starting, or one only holding connections) has none.
  let served: ListeningApp;
  before(async () => {
    served = await listenApp(
      buildDeps({
        LLM_PROVIDER: 'ollama',
        OLLAMA_BASE_URL: 'http://127.0.0.1:9',
        MCP_KEEPALIVE_SECONDS: '0',
        MCP_CONFORMANCE_FIXTURES: 'true',
        // Released by the test's own reaper passes (sweepIdle with a time an hour ahead), not by the clock.
        MCP_LEGACY_SSE_SERVER_IDLE_SECONDS: '1800',
      }),
    );
  });
  after(async () => {
    await served.app.mcp.close();
    await served.close();
  });

  /** McpServers alive once what earlier tests left is collected (the count stops changing). */
  const liveServers = async () => {
    let count = -1;
    for (let last = -2; count !== last; ) {
      last = count;
      await sleep(20);
      gc();
      count = queryObjects(McpServer, { format: 'count' }) as number;
    }
    return count;
  };

  it('builds its McpServer on its first message, not when it opens', async () => {
    const before = await liveServers();
    const streams = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const stream = await fetch(`${served.baseUrl}/sse`, {
          headers: { ...authHeaders(), Accept: 'text/event-stream' },
        });
        const events = readSse(stream.body as ReadableStream<Uint8Array>);
        const endpoint = await events.nextEvent();
        assert.equal(endpoint?.event, 'endpoint');
        return { events, endpoint: new URL(endpoint.data, served.baseUrl) };
      }),
    );
    assert.equal(served.app.mcp.sessions.size, 20);
    assert.equal((await liveServers()) - before, 0, '20 open streams that sent nothing hold no McpServer');

    const [first] = streams;
    const posted = await fetch(first!.endpoint, {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify(initializeMessage()),
    });
    assert.equal(posted.status, 202);
    await posted.text();
    assert.match((await first!.events.nextEvent())?.data ?? '', /"serverInfo"/);
    assert.equal((await liveServers()) - before, 1, 'the stream that sent a message has its server');
    for (const stream of streams) await stream.events.cancel();
  });

  it('releases its McpServer once idle with no call in flight, and builds it again for the next message', async () => {
    const before = await liveServers();
    const stream = await fetch(`${served.baseUrl}/sse`, { headers: { ...authHeaders(), Accept: 'text/event-stream' } });
    const events = readSse(stream.body as ReadableStream<Uint8Array>);
    const endpoint = new URL((await events.nextEvent())?.data ?? '', served.baseUrl);
    const post = async (message: object) => {
      const posted = await fetch(endpoint, {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify(message),
      });
      assert.equal(posted.status, 202);
      await posted.text();
    };
    const nextMessage = async () => JSON.parse((await events.nextEvent())?.data ?? '{}') as Record<string, unknown>;
    const inAnHour = () => Date.now() + 3_600_000;
    const initialize = initializeMessage();
    // Form elicitation: the server refuses to elicit from a client that did not declare it in initialize.
    await post({ ...initialize, params: { ...initialize.params, capabilities: { elicitation: { form: {} } } } });
    assert.ok((await nextMessage()).result, 'initialized');
    await post(INITIALIZED_NOTIFICATION);
    /** Calls test_elicitation, which asks the client for input: the call is in flight until it is answered. */
    const elicit = async (id: number, username: string, whileAsked = () => {}) => {
      await post(toolCallMessage('test_elicitation', { message: 'Who?' }, { id }));
      const asked = await nextMessage();
      assert.equal(asked.method, 'elicitation/create', JSON.stringify(asked));
      whileAsked();
      await post({ jsonrpc: '2.0', id: asked.id, result: { action: 'accept', content: { username, email: 'a@b.c' } } });
      const answer = await nextMessage();
      assert.equal(answer.id, id, 'the stream carries the answer to what the client sent, nothing else before it');
      assert.match(JSON.stringify(answer), new RegExp(`action=accept.*${username}`));
    };
    await elicit(2, 'ada', () => {
      assert.equal(served.app.mcp.sessions.sweepIdle(inAnHour()).released, 0, 'a call in flight keeps the server');
    });
    assert.equal((await liveServers()) - before, 1);
    assert.equal(served.app.mcp.sessions.sweepIdle(inAnHour()).released, 1, 'idle: released');
    assert.equal((await liveServers()) - before, 0, 'the released server is garbage');
    // The next message gets a new server that was told the initialize again (it knows the client can answer a form
    // elicitation), and its answer to that initialize is not sent: the next event is the answer to the call.
    await elicit(3, 'grace');
    assert.equal((await liveServers()) - before, 1);
    await events.cancel();
  });
});

describe('a request once classified', () => {
  // The SDK classifies every request (its handler, and the router for a session-less POST without the 2026-07-28
  // envelope claim) by trying the JSON-RPC message schemas in turn: most attempts fail. zod 4.6.0-4.6.7 answer a
  // failed parse with a result whose lazy `error` accessor keeps the issues, and through them the parsed message,
  // reachable until the next full collection: every request's message reached the old generation, and young
  // collections took 20-40 ms instead of a few (docs/performance.md). Young collections alone must reclaim what a
  // classification used.
  const oldSpaceUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0;
  const classify = (count: number, padding: string) => {
    for (let id = 0; id < count; id++) {
      const body = modernMessage('tools/call', { name: 'ask', arguments: { question: `${id} ${padding}` } }, { id });
      classifyInboundRequest({
        httpMethod: 'POST',
        body,
        protocolVersionHeader: MODERN_VERSION,
        mcpMethodHeader: 'tools/call',
        mcpNameHeader: 'ask',
      });
    }
  };

  it('leaves nothing of the message for the old generation', () => {
    const padding = 'x'.repeat(1000);
    classify(200, padding); // compiled and warm before measuring
    gc();
    const before = oldSpaceUsed();
    classify(2000, padding); // ~2.3 MB of messages
    gc({ type: 'minor' });
    gc({ type: 'minor' });
    const grownKb = (oldSpaceUsed() - before) / 1024;
    // Measured: ~70 KB with zod 4.5.4, ~5,600 KB with 4.6.7.
    assert.ok(grownKb < 1024, `the old generation grew by ${grownKb.toFixed(0)} KB over 2,000 classifications`);
  });
});
