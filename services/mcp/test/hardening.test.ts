// Regression tests for the defects a hostile client found (issue #13), one `describe` per defect. Each starts the
// real service (src/main.ts) with the configuration it needs and attacks it over raw HTTP or with real SDK clients.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { readSse, readUntil, type SseEvent } from '@mcp-stack/test-support/sse';
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { stdoutLines } from '../src/runtime/stdout-lines.ts';
import { startFakeOpenAi } from './helpers/fake-openai.ts';
import { jsonHeaders, openRawSession, rawConnection, scrapeMetric, within } from './helpers/hostile.ts';
import { listenApp } from './helpers/in-process-app.ts';
import { buildDeps } from './helpers/llm-deps.ts';
import {
  authHeaders,
  initializeBody,
  type RunningService,
  runToExit,
  startService,
  TEST_TOKEN,
} from './helpers/start-service.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('defect 1: the event store is bounded by bytes, per session and in total', () => {
  const message = (bytes: number, id: number): JSONRPCMessage => ({
    jsonrpc: '2.0',
    id,
    result: { blob: 'x'.repeat(bytes) },
  });

  // Imported per test, so the rest of this file still runs where the module lacks the byte budget.
  const storeModule = () => import('../src/mcp/event-store.ts');

  it('evicts the oldest events once a session holds more than its byte budget', async () => {
    const { BoundedEventStore, EventStoreBudget } = await storeModule();
    const budget = new EventStoreBudget({ maxBytesPerSession: 50_000, maxBytesTotal: 10_000_000 });
    const store = new BoundedEventStore({ maxEvents: 1000, budget });
    for (let i = 0; i < 20; i++) await store.storeEvent('s1', message(10_000, i));
    assert.ok(store.bytes <= 50_000, `the session holds ${store.bytes} bytes, over its 50000 budget`);
    assert.ok(store.size >= 4 && store.size <= 5, `kept ${store.size} events`);
    // The newest survive: a replay after the 15th event sends events 16..19.
    const sent: number[] = [];
    const ids: string[] = [];
    const probe = new BoundedEventStore({
      maxEvents: 1000,
      budget: new EventStoreBudget({ maxBytesPerSession: 50_000, maxBytesTotal: 10_000_000 }),
    });
    for (let i = 0; i < 20; i++) ids.push(await probe.storeEvent('s1', message(10_000, i)));
    await probe.replayEventsAfter(ids[15]!, { send: async (_id, m) => void sent.push((m as { id: number }).id) });
    assert.deepEqual(sent, [16, 17, 18, 19]);
  });

  it('keeps every session together under the global budget (oldest across sessions go first)', async () => {
    const { BoundedEventStore, EventStoreBudget } = await storeModule();
    const budget = new EventStoreBudget({ maxBytesPerSession: 100_000, maxBytesTotal: 120_000 });
    const stores = [0, 1, 2, 3].map(() => new BoundedEventStore({ maxEvents: 1000, budget }));
    for (let round = 0; round < 10; round++)
      for (const store of stores) await store.storeEvent('s', message(10_000, round));
    assert.ok(
      budget.totalBytes <= 120_000,
      `all sessions hold ${budget.totalBytes} bytes, over the 120000 total budget`,
    );
    assert.equal(
      stores.reduce((sum, s) => sum + s.bytes, 0),
      budget.totalBytes,
    );
    for (const store of stores) assert.ok(store.size > 0, 'the newest events of every session are kept');
    // A closed session gives its bytes back.
    for (const store of stores) store.dispose();
    assert.equal(budget.totalBytes, 0);
  });

  it('a session echoing huge inputs into errors stays within MCP_EVENT_STORE_MAX_BYTES_PER_SESSION (service)', async (t) => {
    const svc = await startService({ MCP_EVENT_STORE_MAX_BYTES_PER_SESSION: '262144', LOG_LEVEL: 'info' });
    t.after(() => svc.stop());
    const session = await openRawSession(svc.mcpUrl);
    const uri = `file:///${'a'.repeat(100_000)}`;
    for (let id = 10; id < 30; id++) {
      const res = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers: session.headers,
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'resources/read', params: { uri } }),
      });
      assert.ok(res.status < 500);
      await res.text();
    }
    const held = await scrapeMetric(svc.baseUrl, 'mcp_event_store_bytes');
    assert.notEqual(held, undefined, 'mcp_event_store_bytes is exported');
    assert.ok(held! > 0 && held! <= 262_144, `the event store holds ${held} bytes for one session (budget 262144)`);
  });
});

describe('defect 2: the rate limiter trusts only the real proxy hop', () => {
  it('run bare, X-Forwarded-For is ignored: forging it does not buy a fresh limit, and the log shows the real peer', async (t) => {
    const svc = await startService({ MCP_RATE_LIMIT_PER_MINUTE: '3', LOG_LEVEL: 'info' });
    t.after(() => svc.stop());
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${svc.baseUrl}/api/tools`, {
        headers: { ...authHeaders(), 'X-Forwarded-For': `10.9.${i}.1` },
      });
      statuses.push(res.status);
      await res.text();
    }
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
    const line = await svc.waitForLog((l) => l.msg === 'request' && l.path === '/api/tools');
    assert.match(String(line.ip), /127\.0\.0\.1$/);
  });

  it('with MCP_TRUST_PROXY=1 (one proxy hop, as compose sets it) only the address that proxy appended counts', async (t) => {
    const svc = await startService({ MCP_RATE_LIMIT_PER_MINUTE: '2', MCP_TRUST_PROXY: '1', LOG_LEVEL: 'info' });
    t.after(() => svc.stop());
    const statuses: number[] = [];
    // The client forges the first entries; the proxy appends the address it saw (always 203.0.113.7 here).
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${svc.baseUrl}/api/tools`, {
        headers: { ...authHeaders(), 'X-Forwarded-For': `10.9.${i}.1, 203.0.113.7` },
      });
      statuses.push(res.status);
      await res.text();
    }
    assert.deepEqual(statuses, [200, 200, 429, 429]);
    const line = await svc.waitForLog((l) => l.msg === 'request' && l.path === '/api/tools');
    assert.equal(line.ip, '203.0.113.7');
  });
});

describe('defect 3: X-Forwarded-Proto other than http/https is ignored', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MCP_TRUST_PROXY: 'loopback' });
  });
  after(() => svc.stop());

  for (const proto of ['1', 'javascript', 'https, 1', 'http:', '']) {
    it(`X-Forwarded-Proto: ${JSON.stringify(proto)} -> 401 with an http(s) resource_metadata`, async () => {
      const res = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers: { ...jsonHeaders, 'X-Forwarded-Proto': proto },
        body: JSON.stringify(initializeBody()),
      });
      assert.equal(res.status, 401, await res.text());
      const challenge = res.headers.get('www-authenticate') ?? '';
      assert.match(
        challenge,
        /resource_metadata="https?:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/,
      );
    });
  }

  it('a valid X-Forwarded-Proto from a trusted proxy is still honoured', async () => {
    const res = await fetch(svc.mcpUrl, {
      method: 'POST',
      headers: { ...jsonHeaders, 'X-Forwarded-Proto': 'https' },
      body: '{}',
    });
    assert.match(res.headers.get('www-authenticate') ?? '', /resource_metadata="https:\/\//);
  });
});

describe('defect 4: /docs/assets looks up only its own files', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService();
  });
  after(() => svc.stop());

  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    it(`GET /docs/assets/${name} is not a 500`, async () => {
      const anonymous = await fetch(`${svc.baseUrl}/docs/assets/${name}`);
      assert.ok(anonymous.status < 500, `anonymous: ${anonymous.status}`);
      const authed = await fetch(`${svc.baseUrl}/docs/assets/${name}`, { headers: authHeaders() });
      assert.equal(authed.status, 404);
    });
  }

  it('the real assets are still served', async () => {
    const css = await fetch(`${svc.baseUrl}/docs/assets/swagger-ui.css`);
    assert.equal(css.status, 200);
  });
});

describe('defect 5: deeply nested JSON is a 400, never a 500', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService();
  });
  after(() => svc.stop());

  const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  const deepParams = (depth: number) => `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":${deepObject(depth)}}`;

  for (const [label, body] of [
    ['10,000 nested arrays', deepArray(10_000)],
    ['10,000 nested objects', deepObject(10_000)],
    ['a request whose params nest 10,000 levels', deepParams(10_000)],
  ] as const) {
    it(`session-less POST /mcp with ${label} -> 400 -32600/-32700`, async () => {
      const res = await fetch(svc.mcpUrl, { method: 'POST', headers: { ...jsonHeaders, ...authHeaders() }, body });
      const text = await res.text();
      assert.equal(res.status, 400, text);
      const parsed = JSON.parse(text) as { error: { code: number } };
      assert.ok([-32600, -32700].includes(parsed.error.code), text);
    });
  }

  it('the same bodies inside a session are 400 as well, and the service still answers', async () => {
    const session = await openRawSession(svc.mcpUrl);
    const res = await fetch(svc.mcpUrl, { method: 'POST', headers: session.headers, body: deepParams(10_000) });
    assert.ok(res.status >= 400 && res.status < 500, `${res.status}`);
    await res.text();
    assert.equal((await fetch(`${svc.baseUrl}/healthz`)).status, 200);
  });
});

describe('defect 6: a cancelled call is released and its stream ends', () => {
  it('notifications/cancelled ends the POST stream of a 2025 session call; shutdown does not wait for it', async (t) => {
    const svc = await startService({
      MCP_CONFORMANCE_FIXTURES: 'true',
      SHUTDOWN_GRACE_SECONDS: '20',
      LOG_LEVEL: 'info',
    });
    t.after(() => svc.stop());
    const session = await openRawSession(svc.mcpUrl);
    const call = await fetch(svc.mcpUrl, {
      method: 'POST',
      headers: session.headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: {
          name: 'test_tool_with_progress',
          arguments: { steps: 100, delayMs: 200 },
          _meta: { progressToken: 'p7' },
        },
      }),
    });
    assert.equal(call.status, 200);
    const frames = readSse(call.body!);
    // Wait for the first progress notification: the call is running.
    for (;;) {
      const next = await frames.nextEvent();
      assert.ok(next, 'the call stream ended before any progress');
      if (next.data.includes('notifications/progress')) break;
    }
    const cancel = await fetch(svc.mcpUrl, {
      method: 'POST',
      headers: session.headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: 7, reason: 'user pressed stop' },
      }),
    });
    assert.equal(cancel.status, 202);
    const ended = await within(
      (async () => {
        for (;;) if ((await frames.next()) === undefined) return true;
      })(),
      5_000,
    );
    assert.equal(ended, true, 'the cancelled call kept its POST stream open');

    const stopping = Date.now();
    svc.child.kill('SIGTERM');
    const { code } = await svc.exited;
    assert.equal(code, 0);
    const shuttingDown = svc.logs().find((l) => l.msg === 'shutting down');
    assert.equal(shuttingDown?.inFlight, 0, 'the cancelled call was still counted in flight');
    assert.ok(
      Date.now() - stopping < 10_000,
      `shutdown took ${Date.now() - stopping} ms (grace 20 s): it waited for the cancelled call`,
    );
  });

  it("the SDK client's abort signal releases the call (2025 session)", async (t) => {
    const svc = await startService({
      MCP_CONFORMANCE_FIXTURES: 'true',
      SHUTDOWN_GRACE_SECONDS: '20',
      LOG_LEVEL: 'info',
    });
    t.after(() => svc.stop());
    const client = new ClientV2({ name: 'cancel-2025', version: '1.0.0' });
    await client.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
    t.after(() => client.close());
    const controller = new AbortController();
    let progressed!: () => void;
    const running = new Promise<void>((resolve) => (progressed = resolve));
    const call = client.callTool(
      { name: 'test_tool_with_progress', arguments: { steps: 100, delayMs: 200 } },
      { signal: controller.signal, onprogress: () => progressed() },
    );
    await running;
    controller.abort('user pressed stop');
    await assert.rejects(call);
    await sleep(500);
    const stopping = Date.now();
    svc.child.kill('SIGTERM');
    const { code } = await svc.exited;
    assert.equal(code, 0);
    assert.equal(
      svc.logs().find((l) => l.msg === 'shutting down')?.inFlight,
      0,
      'the aborted call was still counted in flight',
    );
    assert.ok(Date.now() - stopping < 10_000, `shutdown took ${Date.now() - stopping} ms (grace 20 s)`);
  });
});

describe('defect 7: upstream error text is scrubbed of credentials; /readyz gives a generic reason', () => {
  const KEY = 'sk-hardening-secret-0123456789abcdef';
  let upstream: Server;
  let upstreamUrl: string;
  before(async () => {
    // An OpenAI-compatible upstream that echoes the credentials it was sent into its error messages.
    upstream = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const auth = req.headers.authorization ?? '';
        res.writeHead(req.url?.includes('/models') ? 500 : 400, { 'Content-Type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              message: `request refused: header was "${auth}", key ${auth.replace(/^Bearer /, '')} at http://admin:hunter2@internal.example/v1`,
              type: 'invalid_request_error',
            },
          }),
        );
      });
    });
    upstream.listen(0, '127.0.0.1');
    await new Promise((resolve) => upstream.once('listening', resolve));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  });
  after(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

  it('REST 502 details, MCP tool errors, /readyz and the logs never carry the key, a Bearer value or URL credentials', async (t) => {
    const svc = await startService({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: upstreamUrl,
      OPENAI_API_KEY: KEY,
      OPENAI_MODEL: 'gpt-test',
      LOG_LEVEL: 'debug',
    });
    t.after(() => svc.stop());
    const rest = await fetch(`${svc.baseUrl}/api/tools/ask`, {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ question: 'hi' }),
    });
    const restText = await rest.text();
    assert.equal(rest.status, 502, restText);

    const client = new ClientV2({ name: 'leak-probe', version: '1.0.0' });
    await client.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
    t.after(() => client.close());
    const mcpResult = JSON.stringify(await client.callTool({ name: 'ask', arguments: { question: 'hi' } }));

    const ready = await fetch(`${svc.baseUrl}/readyz`);
    const readyText = await ready.text();
    assert.equal(ready.status, 503);
    const readyBody = JSON.parse(readyText) as { reason: string };
    assert.doesNotMatch(
      readyBody.reason,
      /refused|header|internal\.example/,
      'the public reason is generic, not the upstream text',
    );
    await sleep(200);
    for (const [where, text] of [
      ['REST', restText],
      ['MCP', mcpResult],
      ['/readyz', readyText],
      ['logs', svc.output()],
    ] as const) {
      assert.ok(!text.includes(KEY), `${where} leaks the API key`);
      assert.ok(!text.includes('hunter2'), `${where} leaks URL credentials`);
      assert.doesNotMatch(text, /Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/-]{6,}/, `${where} leaks a Bearer value`);
    }
    // The details are still in the logs, scrubbed.
    assert.match(svc.output(), /request refused/);
  });
});

describe('defect 8: slow clients do not hold sockets', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({
      MCP_HEADERS_TIMEOUT_SECONDS: '2',
      MCP_REQUEST_TIMEOUT_SECONDS: '3',
      MCP_KEEPALIVE_SECONDS: '1',
    });
  });
  after(() => svc.stop());

  it('an early 401 carries Connection: close and the socket is closed although the body is still trickling', async () => {
    const conn = await rawConnection(
      svc.port,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"a":`,
    );
    const trickle = setInterval(() => conn.socket.writable && conn.socket.write(' '), 200);
    try {
      const closedAfter = await within(conn.closed, 4_000);
      assert.match(conn.received(), /^HTTP\/1\.1 401/);
      assert.match(conn.received(), /\r\nconnection: close\r\n/i);
      assert.notEqual(closedAfter, 'timeout', 'the server kept the socket of a refused request open');
    } finally {
      clearInterval(trickle);
      conn.socket.destroy();
    }
  });

  it('partial headers are dropped after MCP_HEADERS_TIMEOUT_SECONDS', async () => {
    const conn = await rawConnection(svc.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: `);
    try {
      const closedAfter = await within(conn.closed, 7_000);
      assert.notEqual(closedAfter, 'timeout', 'a client that never finishes its headers kept its socket');
    } finally {
      conn.socket.destroy();
    }
  });

  it('an authorized body trickled past MCP_REQUEST_TIMEOUT_SECONDS is dropped', async () => {
    const conn = await rawConnection(
      svc.port,
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TEST_TOKEN}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100000\r\n\r\n{"a":`,
    );
    const trickle = setInterval(() => conn.socket.writable && conn.socket.write(' '), 200);
    try {
      const closedAfter = await within(conn.closed, 8_000);
      assert.notEqual(closedAfter, 'timeout', 'a trickled body kept its socket');
    } finally {
      clearInterval(trickle);
      conn.socket.destroy();
    }
  });

  it('SSE streams outlive the request timeout (it bounds receiving the request only)', async () => {
    const stream = await fetch(`${svc.baseUrl}/sse`, { headers: { ...authHeaders(), Accept: 'text/event-stream' } });
    assert.equal(stream.status, 200);
    const started = Date.now();
    const frames = readSse(stream.body!);
    await readUntil(frames, () => Date.now() - started > 5_000, '5 s of the stream');
    assert.ok(Date.now() - started >= 5_000, 'the stream ended early');
    assert.ok(frames.seen.some((f) => f.kind === 'comment' && f.text === 'keepalive'));
  });
});

describe('defect 9: the small ones', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MCP_CONFORMANCE_FIXTURES: 'true', LOG_LEVEL: 'info' });
  });
  after(() => svc.stop());

  it('the path-less RFC 9728 document names the resource it was fetched for; no empty authorization_servers', async () => {
    const bare = (await (await fetch(`${svc.baseUrl}/.well-known/oauth-protected-resource`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(bare.resource, svc.baseUrl);
    assert.equal('authorization_servers' in bare, false);
    const mcp = (await (await fetch(`${svc.baseUrl}/.well-known/oauth-protected-resource/mcp`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(mcp.resource, svc.mcpUrl);
  });

  it('a per-request RFC 9728 document is not cached publicly without Vary', async () => {
    const res = await fetch(`${svc.baseUrl}/.well-known/oauth-protected-resource/mcp`);
    const cache = res.headers.get('cache-control') ?? '';
    const vary = (res.headers.get('vary') ?? '').toLowerCase();
    assert.ok(
      !cache.includes('public') || (vary.includes('host') && vary.includes('x-forwarded-proto')),
      `Cache-Control: ${cache}, Vary: ${vary}`,
    );
  });

  it('the access log bounds Mcp-Session-Id and Mcp-Protocol-Version', async () => {
    // 2 x 6 KB: under Node's 16 KB header limit (past it Node answers 431 before any log is written).
    const huge = 'x'.repeat(6_000);
    const res = await fetch(svc.mcpUrl, {
      method: 'POST',
      headers: { ...jsonHeaders, ...authHeaders(), 'Mcp-Session-Id': huge, 'Mcp-Protocol-Version': huge },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    await res.text();
    const line = await svc.waitForLog(
      (l) => l.msg === 'request' && typeof l.sessionId === 'string' && l.sessionId.startsWith('xxx'),
    );
    assert.ok(
      String(line.sessionId).length <= 128,
      `sessionId logged with ${String(line.sessionId).length} characters`,
    );
    assert.ok(
      String(line.protocolVersion).length <= 128,
      `protocolVersion logged with ${String(line.protocolVersion).length} characters`,
    );
  });

  it('/docs has a Content-Security-Policy', async () => {
    const res = await fetch(`${svc.baseUrl}/docs`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'|default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
  });

  it('an empty batch inside a session is 400 -32600, not 202', async () => {
    const session = await openRawSession(svc.mcpUrl);
    const res = await fetch(svc.mcpUrl, { method: 'POST', headers: session.headers, body: '[]' });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.equal((JSON.parse(text) as { error: { code: number } }).error.code, -32600);
  });

  it('legacy /messages answers an invalid body with a JSON-RPC error', async () => {
    const stream = await fetch(`${svc.baseUrl}/sse`, { headers: { ...authHeaders(), Accept: 'text/event-stream' } });
    const endpoint = await readUntil<SseEvent>(
      readSse(stream.body!),
      (f) => f.kind === 'event' && f.event === 'endpoint',
      'the endpoint event',
    );
    const res = await fetch(new URL(endpoint.data, svc.baseUrl), {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: '{"not":"json-rpc"}',
    });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    const body = JSON.parse(text) as { jsonrpc: string; error: { code: number; message: string } };
    assert.equal(body.jsonrpc, '2.0');
    assert.equal(body.error.code, -32600);
    assert.doesNotMatch(body.error.message, /\[object Object\]/);
  });

  it('OPENAI_BASE_URL with user:pass@ is refused at start', async () => {
    const { code, output } = await runToExit({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: 'https://user:pass@llm.example.com/v1',
      OPENAI_API_KEY: 'sk-x-0123456789',
      OPENAI_MODEL: 'm',
    });
    assert.equal(code, 2);
    assert.match(output, /OPENAI_BASE_URL/);
    assert.doesNotMatch(output, /pass@/, 'the refusal repeats the credentials');
  });

  it('LLM warnings name the provider once per line', async (t) => {
    const fake = await startFakeOpenAi();
    t.after(() => fake.close());
    fake.setFault({ kind: 'server-error', times: 1 });
    const llm = await startService({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: 'sk-test-0123456789',
      OPENAI_MODEL: 'gpt-4o-mini',
      LLM_MAX_RETRIES: '1',
    });
    t.after(() => llm.stop());
    const res = await fetch(`${llm.baseUrl}/api/tools/ask`, {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ question: 'hi' }),
    });
    await res.text();
    await llm.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('LLM call failed, retrying'));
    for (const line of llm
      .output()
      .split('\n')
      .filter((l) => l.includes('LLM call failed'))) {
      assert.equal(line.match(/"provider":/g)?.length, 1, line);
    }
  });

  it('calls abandoned at shutdown are not logged as cancelled by the client', async (t) => {
    const fake = await startFakeOpenAi();
    t.after(() => fake.close());
    fake.setFault({ kind: 'hang', afterTokens: 1 });
    const llm = await startService({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: 'sk-test-0123456789',
      OPENAI_MODEL: 'gpt-4o-mini',
      SHUTDOWN_GRACE_SECONDS: '1',
      LOG_LEVEL: 'info',
    });
    t.after(() => llm.stop());
    const call = fetch(`${llm.baseUrl}/api/tools/ask`, {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ question: 'hi' }),
    }).catch(() => undefined);
    // requests lists a request as soon as it arrives (waitForRequest resolves when it closes).
    while (!fake.requests.some((r) => r.path.includes('chat'))) await sleep(50);
    llm.child.kill('SIGTERM');
    await llm.exited;
    await call;
    assert.doesNotMatch(llm.output(), /cancelled by the client/);
    assert.match(llm.output(), /abandoned at shutdown/);
  });
});

describe('defect 9: an unhandled error is logged with its name, message and stack', () => {
  it('logs the error itself (not {"type":"Object","stack":""}) and answers 500 with only the request id', async (t) => {
    const lines: Record<string, unknown>[] = [];
    const { createLogger } = await import('../src/runtime/logger.ts');
    const logger = await createLogger(
      { logLevel: 'info', appEnv: 'production', logFormat: 'json' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const deps = { ...buildDeps({ LLM_PROVIDER: 'ollama', OLLAMA_BASE_URL: 'http://127.0.0.1:9' }), logger };
    // A fault nothing in the app handles: the metrics registry throws while /metrics is answered.
    deps.metrics.registry.metrics = function collectBrokenMetrics(): Promise<string> {
      throw new TypeError('metrics registry broke');
    };
    const app = await listenApp(deps);
    t.after(() => app.close());
    const res = await fetch(`${app.baseUrl}/metrics`, { headers: { ...authHeaders(), Host: 'localhost' } });
    assert.equal(res.status, 500);
    const body = await res.text();
    assert.doesNotMatch(body, /metrics registry broke|collectBrokenMetrics/, 'the 500 answer carries no details');
    const line = lines.find((l) => l.msg === 'unhandled error');
    assert.ok(line, `no 'unhandled error' line among ${JSON.stringify(lines.map((l) => l.msg))}`);
    const logged = JSON.stringify(line);
    assert.doesNotMatch(logged, /"type":"Object"/);
    assert.match(logged, /TypeError/, 'the error name is logged');
    assert.match(logged, /metrics registry broke/, 'the error message is logged');
    assert.match(logged, /collectBrokenMetrics/, 'the stack is logged (it names the throwing function)');
  });
});

describe('defect 10: log lines are written before the process can die', () => {
  const logger = new URL('../src/runtime/logger.ts', import.meta.url).href;
  const childLogging = (then: string) =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { createLogger } = await import(${JSON.stringify(logger)});
        const logger = await createLogger({ logLevel: 'info', appEnv: 'production', logFormat: 'json' });
        for (let n = 1; n <= 200; n++) logger.info({ n }, 'a line');
        ${then}`,
      ],
      { encoding: 'utf8' },
    );
  const assertAllLines = (stdout: string) => {
    const lines = stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 200, `${lines.length} of 200 lines were written`);
    assert.deepEqual(
      lines.map((line) => (JSON.parse(line) as { n: number }).n),
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
  };

  it('every line logged in a turn that ended is on stdout when a SIGKILL (an OOM kill, say) comes', () => {
    // pino's default stdout destination queued lines in memory behind one write in flight: a killed process lost
    // all but the first of these.
    const child = childLogging(`setImmediate(() => process.kill(process.pid, 'SIGKILL'));`);
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    assertAllLines(child.stdout);
  });

  it('lines logged right before process.exit() or an uncaught exception are on stdout', () => {
    const exited = childLogging('process.exit(3);');
    assert.equal(exited.status, 3, exited.stderr);
    assertAllLines(exited.stdout);
    const crashed = childLogging(`throw new Error('boom');`);
    assert.equal(crashed.status, 1, crashed.stderr);
    assert.match(crashed.stderr, /boom/);
    assertAllLines(crashed.stdout);
  });

  it("a turn's lines leave in two writes (the first at once, the others together at the end of the turn)", async () => {
    const writes: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes.push(chunk.toString());
        callback();
      },
      writev(chunks, callback) {
        writes.push(chunks.map(({ chunk }) => String(chunk)).join(''));
        callback();
      },
    });
    const sink = stdoutLines(out);
    sink.write('line 1\n');
    assert.deepEqual(writes, ['line 1\n'], 'the first line of a turn is written at once');
    for (let n = 2; n <= 50; n++) sink.write(`line ${n}\n`);
    assert.equal(writes.length, 1, 'the others wait for the end of the turn');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(writes.length, 2, `${writes.length} writes for one turn's 50 lines`);
    assert.equal(writes[1], Array.from({ length: 49 }, (_, i) => `line ${i + 2}\n`).join(''));
    sink.write('next turn\n');
    assert.deepEqual(writes.slice(2), ['next turn\n'], "the next turn's first line is written at once");
  });
});

describe('defect 11: a log reader that falls behind does not stop the service', () => {
  for (const logFormat of ['json', 'pretty'] as const) {
    it(`${logFormat}: while nothing reads stdout the event loop goes on, and every line arrives, in order, once it is read`, async () => {
      // pino's synchronous destinations (its own, and pino-pretty's) met a full pipe by sleeping 100 ms and trying
      // again, the event loop stopped all along: the child below never reached its next turn while stdout was not read.
      const logger = new URL('../src/runtime/logger.ts', import.meta.url).href;
      const lines = 4000; // ~1 MB: more than the pipe and the reader's buffer hold
      const script = `
        const { createLogger } = await import(${JSON.stringify(logger)});
        const logger = await createLogger({ logLevel: 'info', appEnv: 'production', logFormat: '${logFormat}' });
        const padding = 'x'.repeat(200);
        for (let n = 1; n <= ${lines}; n++) logger.info({ n, padding }, 'a line');
        setImmediate(() => process.stderr.write('next turn\\n'));`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.pause();
      let stderr = '';
      const turned = new Promise<boolean>((resolve) => {
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
          if (stderr.includes('next turn')) resolve(true);
        });
        child.once('exit', () => resolve(false));
      });
      const outcome = await within(turned, 15_000);
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
      });
      child.stdout.resume();
      await once(child, 'close');
      assert.equal(outcome, true, `the child's event loop did not turn while its stdout was not read: ${stderr}`);
      const numbers = [...stdout.matchAll(/"n":(\d+)/g)].map((match) => Number(match[1]));
      assert.equal(numbers.length, lines, `${numbers.length} of ${lines} lines arrived`);
      assert.ok(
        numbers.every((n, i) => n === i + 1),
        'the lines arrived in order',
      );
    });
  }

  it('what waits for the reader is bounded: lines past the bound are dropped and their count reported', async () => {
    const out = new PassThrough({ highWaterMark: 64 });
    const sink = stdoutLines(out, 1024);
    const reported = new Promise<number>((resolve) => {
      sink.onDropped = resolve;
    });
    const line = `${'y'.repeat(99)}\n`;
    let mostWaiting = 0;
    for (let n = 0; n < 100; n++) {
      sink.write(line);
      mostWaiting = Math.max(mostWaiting, out.writableLength);
    }
    assert.ok(mostWaiting <= 1024 + line.length, `${mostWaiting} bytes waited for the reader`);
    let received = '';
    out.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
    });
    const dropped = await within(reported, 5_000);
    assert.notEqual(dropped, 'timeout', 'the dropped lines were never reported');
    const arrived = received.split('\n').filter(Boolean).length;
    assert.ok((dropped as number) > 0, 'lines past the bound were dropped');
    assert.equal(arrived + (dropped as number), 100, `${arrived} arrived, ${dropped} reported dropped`);
  });
});
