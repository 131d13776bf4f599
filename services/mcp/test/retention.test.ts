// What a long-lived session keeps: nothing of the HTTP exchanges that opened or used it, beyond the stream it
// still writes to. A session lives for minutes to hours; a request or response object it kept (headers, body,
// socket objects) would be paid for by every idle session. Run in-process with V8's gc(), so "collectable" is
// checked directly.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { authHeaders } from '@mcp-stack/test-support/credentials';
import { MCP_ACCEPT, openRawSession, toolCallMessage } from '@mcp-stack/test-support/mcp-wire';
import { readSse } from '@mcp-stack/test-support/sse';
import { type ListeningApp, listenApp } from './helpers/in-process-app.ts';
import { buildDeps } from './helpers/llm-deps.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

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
