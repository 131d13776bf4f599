// The node:http fast path (src/http/fast-path.ts) serves /mcp, POST /messages and GET /sse without Express's router.
// It must answer exactly as the Express app alone does: every case below is sent to two servers built from the same
// configuration, one running the service's listener and one running only its Express app, and the answers
// (status, headers, body) must match once the values that differ on every request (ids, dates) are masked.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TEST_TOKEN } from '@mcp-stack/test-support/credentials';
import { initializeMessage, MODERN_VERSION } from '@mcp-stack/test-support/mcp-wire';
import express, { type RequestHandler } from 'express';
import { type App, createApp } from '../src/http/app.ts';
import { createHttpListener } from '../src/http/fast-path.ts';
import { buildDeps } from './helpers/llm-deps.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
        // Streams that stay open (a 2025 GET, SSE): the first event is enough to compare.
        if (res.headers['content-type']?.startsWith('text/event-stream') && text.includes('\n\n')) res.destroy();
      });
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
/** What differs between two identical requests: dates, request and session ids, event ids, timings. */
function masked(answer: Answer) {
  const headers = { ...answer.headers };
  delete headers.date;
  for (const name of ['x-request-id', 'mcp-session-id', 'ratelimit', 'retry-after', 'content-length'])
    if (headers[name] !== undefined) headers[name] = String(headers[name]).replace(UUID, 'ID').replace(/\d+/g, 'N');
  const body = answer.body
    .replace(UUID, 'ID')
    .replace(/^id: .*$/gm, 'id: ID')
    .replace(/"(uptimeSeconds|startedAt|time|timestamp)":[^,}]+/g, '"$1":X');
  return { status: answer.status, headers, body };
}

const auth = { Authorization: `Bearer ${TEST_TOKEN}` };
const json = {
  ...auth,
  Host: 'localhost',
  'Content-Type': 'application/json',
  Accept: 'application/json, text/event-stream',
};
const modernCall = JSON.stringify({
  jsonrpc: '2.0',
  id: 7,
  method: 'tools/list',
  params: {
    _meta: {
      'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
      'io.modelcontextprotocol/clientInfo': { name: 'fast-path-test', version: '1.0.0' },
      'io.modelcontextprotocol/clientCapabilities': {},
    },
  },
});
const modernHeaders = { ...json, 'MCP-Protocol-Version': MODERN_VERSION, 'Mcp-Method': 'tools/list' };
let deep = '1';
for (let i = 0; i < 100; i++) deep = `[${deep}]`;

type Case = [name: string, method: string, path: string, headers: Record<string, string>, body?: string];
const CASES: Case[] = [
  ['no token', 'POST', '/mcp', { Host: 'localhost', 'Content-Type': 'application/json' }, '{}'],
  ['a wrong token', 'POST', '/mcp', { ...json, Authorization: 'Bearer nope' }, '{}'],
  ['a malformed Authorization header', 'POST', '/mcp', { ...json, Authorization: 'Basic x' }, '{}'],
  ['a Host not allowed', 'POST', '/mcp', { ...json, Host: 'evil.example' }, modernCall],
  ['an Origin not allowed', 'POST', '/mcp', { ...json, Origin: 'http://evil.example' }, modernCall],
  ['an allowed Origin (CORS headers)', 'POST', '/mcp', { ...modernHeaders, Origin: 'http://localhost' }, modernCall],
  [
    'a CORS preflight',
    'OPTIONS',
    '/mcp',
    { Host: 'localhost', Origin: 'http://localhost', 'Access-Control-Request-Method': 'POST' },
  ],
  ['text/plain', 'POST', '/mcp', { ...json, 'Content-Type': 'text/plain' }, 'hello'],
  ['malformed JSON', 'POST', '/mcp', json, '{"jsonrpc":'],
  ['a body over MCP_MAX_BODY_BYTES', 'POST', '/mcp', json, JSON.stringify({ pad: 'x'.repeat(4096) })],
  ['an unsupported charset', 'POST', '/mcp', { ...json, 'Content-Type': 'application/json; charset=koi8-r' }, '{}'],
  ['an empty batch', 'POST', '/mcp', json, '[]'],
  ['a message nested too deep', 'POST', '/mcp', json, deep],
  ['not JSON-RPC', 'POST', '/mcp', json, '"hello"'],
  ['a 2026-07-28 request', 'POST', '/mcp', modernHeaders, modernCall],
  ['a 2026-07-28 request with a query string', 'POST', '/mcp?x=1', modernHeaders, modernCall],
  ['a 2025 initialize', 'POST', '/mcp', json, JSON.stringify(initializeMessage('2025-11-25'))],
  [
    'a 2025 call in an unknown session',
    'POST',
    '/mcp',
    { ...json, 'Mcp-Session-Id': 'nope' },
    '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  ],
  ['GET without a session', 'GET', '/mcp', { ...auth, Host: 'localhost', Accept: 'text/event-stream' }],
  ['DELETE of an unknown session', 'DELETE', '/mcp', { ...auth, Host: 'localhost', 'Mcp-Session-Id': 'nope' }],
  ['PUT', 'PUT', '/mcp', json, '{}'],
  ['HEAD', 'HEAD', '/mcp', { ...auth, Host: 'localhost' }],
  [
    'a legacy message to an unknown session',
    'POST',
    '/messages?sessionId=nope',
    json,
    '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  ],
  ['a legacy message without a session', 'POST', '/messages', json, '{"jsonrpc":"2.0","id":1,"method":"ping"}'],
  ['GET /messages (not an MCP route)', 'GET', '/messages', { ...auth, Host: 'localhost' }],
  ['a legacy SSE stream', 'GET', '/sse', { ...auth, Host: 'localhost', Accept: 'text/event-stream' }],
  ['a legacy SSE stream without a token', 'GET', '/sse', { Host: 'localhost', Accept: 'text/event-stream' }],
  ['POST /sse (not an MCP route)', 'POST', '/sse', json, '{}'],
  ['/MCP (case folded by Express)', 'POST', '/MCP', modernHeaders, modernCall],
  ['/mcp/ (trailing slash)', 'POST', '/mcp/', modernHeaders, modernCall],
];

async function serve(listener: RequestListener): Promise<{ server: Server; port: number }> {
  const server = createServer(listener).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

async function pair(env: Record<string, string>) {
  const config = { LLM_PROVIDER: 'ollama', OLLAMA_BASE_URL: 'http://127.0.0.1:9', MCP_MAX_BODY_BYTES: '2048', ...env };
  const fast: App = createApp(buildDeps(config));
  const plain: App = createApp(buildDeps(config));
  const viaListener = await serve(fast.listener);
  const viaExpress = await serve(plain.app);
  return {
    fast,
    plain,
    async compare(method: string, path: string, headers: Record<string, string>, body?: string) {
      const a = await send(viaListener.port, method, path, headers, body);
      const b = await send(viaExpress.port, method, path, headers, body);
      assert.deepEqual(masked(a), masked(b));
      return a;
    },
    async close() {
      for (const app of [fast, plain]) await app.mcp.close();
      await close(viaListener.server);
      await close(viaExpress.server);
    },
  };
}

describe('the MCP fast path answers as the Express app does', () => {
  let servers: Awaited<ReturnType<typeof pair>>;
  before(async () => {
    servers = await pair({});
  });
  after(() => servers.close());

  for (const [name, method, path, headers, body] of CASES) {
    it(name, async () => {
      await servers.compare(method, path, headers, body);
    });
  }

  it('the cases reach the handlers they are meant for', async () => {
    assert.equal((await servers.compare('POST', '/mcp', modernHeaders, modernCall)).status, 200);
    assert.equal((await servers.compare('POST', '/mcp', json, '[]')).status, 400);
    assert.equal((await servers.compare('POST', '/mcp', json, JSON.stringify({ pad: 'x'.repeat(4096) }))).status, 413);
    assert.equal(
      (await servers.compare('OPTIONS', '/mcp', { Host: 'localhost', Origin: 'http://localhost' })).status,
      204,
    );
    const stream = await servers.compare('GET', '/sse', { ...auth, Host: 'localhost', Accept: 'text/event-stream' });
    assert.equal(stream.status, 200);
    assert.match(stream.body, /^event: endpoint\ndata: \/messages\?sessionId=/);
  });

  it('while draining: 503 with Retry-After on both', async () => {
    servers.fast.lifecycle.startDraining();
    servers.plain.lifecycle.startDraining();
    const answer = await servers.compare('POST', '/mcp', modernHeaders, modernCall);
    assert.equal(answer.status, 503);
  });
});

describe('the MCP fast path with other settings', () => {
  it('the rate limit: the same answers, 429 once the limit is passed', async () => {
    const servers = await pair({ MCP_RATE_LIMIT_PER_MINUTE: '2' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await servers.compare('POST', '/mcp', modernHeaders, modernCall)).status);
      assert.deepEqual(statuses, [200, 200, 429]);
    } finally {
      await servers.close();
    }
  });

  it('MCP_LEGACY_SSE=false: /sse and /messages answer that the transport is off, on every method', async () => {
    const servers = await pair({ MCP_LEGACY_SSE: 'false' });
    try {
      for (const path of ['/sse', '/messages'])
        for (const method of ['POST', 'GET', 'DELETE'])
          assert.equal((await servers.compare(method, path, json, method === 'POST' ? '{}' : undefined)).status, 404);
    } finally {
      await servers.close();
    }
  });

  it('MCP_STATELESS=true: the same answers to 2025 and 2026-07-28 requests', async () => {
    const servers = await pair({ MCP_STATELESS: 'true' });
    try {
      await servers.compare('POST', '/mcp', json, JSON.stringify(initializeMessage('2025-11-25')));
      await servers.compare('POST', '/mcp', modernHeaders, modernCall);
      assert.equal((await servers.compare('GET', '/mcp', { ...auth, Host: 'localhost' })).status, 405);
    } finally {
      await servers.close();
    }
  });
});

describe('createHttpListener', () => {
  // A tiny Express app and chain: which one answered, and how errors travel.
  const app = express();
  app.use((_req, res) => {
    res.status(299).send('express');
  });
  const seen: string[] = [];
  const chain: RequestHandler[] = [
    (req, _res, next) => {
      seen.push(`first ${req.path} ${req.baseUrl === '' && req.originalUrl === req.url}`);
      next();
    },
    (req, res, next) => {
      const mode = req.query.mode;
      if (mode === 'throw') throw new Error('thrown');
      if (mode === 'reject') return Promise.reject(new Error('rejected'));
      if (mode === 'next-error') return next(new Error('passed'));
      if (mode === 'pass') return next();
      res.status(200).json({ served: 'chain', ip: req.ip, get: req.get('x-probe') ?? null });
    },
  ];
  let port = 0;
  let server: Server;
  before(async () => {
    ({ server, port } = await serve(
      createHttpListener(app, {
        chainFor: (method, path) => (method === 'POST' && path === '/fast' ? chain : undefined),
        notFound: (_req, res) => {
          res.status(404).send('not found');
        },
        onError: (error: Error, _req, res, _next) => {
          res.status(500).send(`error: ${error.message}`);
        },
      }),
    ));
  });
  after(() => close(server));

  it('runs the chain for the exact path and method, with Express request and response methods', async () => {
    seen.length = 0;
    const answer = await send(port, 'POST', '/fast?x=1', { 'X-Probe': 'yes' });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { served: 'chain', ip: '127.0.0.1', get: 'yes' });
    assert.deepEqual(seen, ['first /fast true']);
  });

  it('hands every other request to the Express app', async () => {
    for (const [method, path] of [
      ['GET', '/fast'],
      ['POST', '/FAST'],
      ['POST', '/fast/'],
      ['POST', '/fastx'],
      ['POST', '/other'],
    ] as const)
      assert.deepEqual([(await send(port, method, path, {})).status, method, path], [299, method, path]);
  });

  it('a thrown error, a rejected promise and next(error) reach the error handler; next() past the end is not found', async () => {
    assert.equal((await send(port, 'POST', '/fast?mode=throw', {})).body, 'error: thrown');
    assert.equal((await send(port, 'POST', '/fast?mode=reject', {})).body, 'error: rejected');
    assert.equal((await send(port, 'POST', '/fast?mode=next-error', {})).body, 'error: passed');
    assert.deepEqual(await send(port, 'POST', '/fast?mode=pass', {}).then((a) => [a.status, a.body]), [
      404,
      'not found',
    ]);
  });
});
