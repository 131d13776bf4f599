// The HTTP edge: auth, DNS-rebinding protection, CORS, request hygiene (415/413/-32700/429), sessions by id,
// health/readiness/metrics and security headers. Raw fetch, because these are about the exact HTTP answers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import helmet from 'helmet';
import { API_HELMET_OPTIONS, DOCS_HELMET_OPTIONS, securityHeaders } from '../src/http/middleware/security.ts';
import type { FakeServer } from './helpers/fake-llm-common.ts';
import { startFakeOllama } from './helpers/fake-ollama.ts';
import {
  authHeaders,
  initializeBody,
  MCP_ACCEPT,
  type RunningService,
  startService,
  TEST_TOKEN,
} from './helpers/start-service.ts';

const json = { 'Content-Type': 'application/json', Accept: MCP_ACCEPT };

/** node:http lets us send a Host header that fetch would refuse to forge. */
function rawPost(
  url: string,
  headers: Record<string, string>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP edge', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MCP_CONFORMANCE_FIXTURES: 'true', MCP_MAX_BODY_BYTES: '2048' });
  });
  after(async () => {
    await svc.stop();
  });

  const initialize = (headers: Record<string, string> = authHeaders()) =>
    fetch(svc.mcpUrl, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify(initializeBody()) });

  describe('bearer auth', () => {
    it('refuses a request without a token with 401 and a resource_metadata challenge', async () => {
      const res = await initialize({});
      assert.equal(res.status, 401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer /);
      const metadataUrl = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
      assert.equal(metadataUrl, `${svc.baseUrl}/.well-known/oauth-protected-resource/mcp`);
      // The RFC 9728 document is readable without a token and names this resource.
      const doc = await fetch(metadataUrl!);
      assert.equal(doc.status, 200);
      const body = (await doc.json()) as { resource: string; bearer_methods_supported: string[] };
      assert.equal(body.resource, svc.mcpUrl);
      assert.deepEqual(body.bearer_methods_supported, ['header']);
    });

    it('refuses a wrong token with 401 invalid_token', async () => {
      const res = await initialize(authHeaders(`${TEST_TOKEN}x`));
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    });

    it('refuses a malformed Authorization header', async () => {
      const res = await initialize({ Authorization: `Basic ${TEST_TOKEN}` });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_request"/);
    });

    it('accepts the right token', async () => {
      const res = await initialize();
      assert.equal(res.status, 200);
      assert.ok(res.headers.get('mcp-session-id'));
    });

    it('protects /metrics and the legacy SSE endpoint too', async () => {
      assert.equal((await fetch(`${svc.baseUrl}/metrics`)).status, 401);
      assert.equal((await fetch(`${svc.baseUrl}/sse`)).status, 401);
      const metrics = await fetch(`${svc.baseUrl}/metrics`, { headers: authHeaders() });
      assert.equal(metrics.status, 200);
      const text = await metrics.text();
      assert.match(text, /^# HELP http_requests_total/m);
      assert.match(text, /mcp_sessions_open\{transport="streamable-session"\} [1-9]/);
    });
  });

  describe('DNS rebinding protection', () => {
    it('answers an evil Host with 403', async () => {
      const res = await rawPost(
        svc.mcpUrl,
        { ...json, ...authHeaders(), Host: 'evil.example.com' },
        JSON.stringify(initializeBody()),
      );
      assert.equal(res.status, 403);
    });

    it('answers an evil Origin with 403 and allows a localhost one', async () => {
      const evil = await initialize({ ...authHeaders(), Origin: 'http://evil.example.com' });
      assert.equal(evil.status, 403);
      const good = await initialize({ ...authHeaders(), Origin: `http://localhost:${svc.port}` });
      assert.equal(good.status, 200);
    });

    it('lets an allowed browser origin read Mcp-Session-Id (CORS)', async () => {
      const origin = `http://localhost:5173`;
      const preflight = await fetch(svc.mcpUrl, {
        method: 'OPTIONS',
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'authorization,content-type,mcp-protocol-version',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
      const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const header of [
        'authorization',
        'content-type',
        'mcp-session-id',
        'mcp-protocol-version',
        'last-event-id',
        'mcp-method',
        'mcp-name',
      ]) {
        assert.ok(allowed.includes(header), `preflight does not allow ${header}: ${allowed}`);
      }
      const res = await initialize({ ...authHeaders(), Origin: origin });
      assert.equal(res.headers.get('access-control-allow-origin'), origin);
      assert.match(res.headers.get('access-control-expose-headers') ?? '', /Mcp-Session-Id/);
    });
  });

  describe('sessions by id', () => {
    it('answers an unknown session id with 404 and a JSON-RPC error', async () => {
      const res = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers: {
          ...json,
          ...authHeaders(),
          'Mcp-Session-Id': '00000000-0000-4000-8000-000000000000',
          'Mcp-Protocol-Version': '2025-06-18',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      assert.equal(res.status, 404);
      const body = (await res.json()) as { jsonrpc: string; error: { code: number; message: string } };
      assert.equal(body.jsonrpc, '2.0');
      assert.equal(body.error.code, -32001);
    });

    it('answers a missing session id with 400 and a JSON-RPC error', async () => {
      for (const [method, body] of [
        ['POST', JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })],
        ['GET', undefined],
        ['DELETE', undefined],
      ] as const) {
        const res = await fetch(svc.mcpUrl, { method, headers: { ...json, ...authHeaders() }, body });
        assert.equal(res.status, 400, `${method} without Mcp-Session-Id`);
        assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32000);
      }
    });

    it('answers an unknown legacy SSE session with 404', async () => {
      const res = await fetch(`${svc.baseUrl}/messages?sessionId=nope`, {
        method: 'POST',
        headers: { ...json, ...authHeaders() },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      assert.equal(res.status, 404);
    });
  });

  describe('request hygiene', () => {
    it('answers malformed JSON with 400 and -32700', async () => {
      const res = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers: { ...json, ...authHeaders() },
        body: '{"jsonrpc": "2.0", "id": 1,',
      });
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(((await res.json()) as { error: { code: number } }).error.code, -32700);
    });

    it('answers a body over MCP_MAX_BODY_BYTES with 413', async () => {
      const big = JSON.stringify({ ...initializeBody(), padding: 'x'.repeat(4096) });
      const res = await fetch(svc.mcpUrl, { method: 'POST', headers: { ...json, ...authHeaders() }, body: big });
      assert.equal(res.status, 413);
      assert.match(((await res.json()) as { error: { message: string } }).error.message, /MCP_MAX_BODY_BYTES/);
    });

    it('answers a non-JSON content type with 415', async () => {
      const res = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', Accept: MCP_ACCEPT, ...authHeaders() },
        body: JSON.stringify(initializeBody()),
      });
      assert.equal(res.status, 415);
      assert.equal(((await res.json()) as { jsonrpc: string }).jsonrpc, '2.0');
    });

    it('answers an unknown path with a JSON 404', async () => {
      const res = await fetch(`${svc.baseUrl}/nope`, { headers: authHeaders() });
      assert.equal(res.status, 404);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    });

    it('returns the caller’s X-Request-Id, or makes one', async () => {
      const mine = await fetch(`${svc.baseUrl}/healthz`, { headers: { 'X-Request-Id': 'trace-abc-123' } });
      assert.equal(mine.headers.get('x-request-id'), 'trace-abc-123');
      const made = await fetch(`${svc.baseUrl}/healthz`, { headers: { 'X-Request-Id': 'bad value with spaces' } });
      assert.match(made.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const logged = await svc.waitForLog((line) => line.reqId === 'trace-abc-123' && line.msg === 'request');
      assert.equal(logged.path, '/healthz');
    });

    it('sends security headers', async () => {
      const res = await fetch(`${svc.baseUrl}/healthz`);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal(res.headers.get('x-powered-by'), null);
      assert.equal(res.headers.get('strict-transport-security'), null, 'HSTS is the TLS-terminating proxy’s job');
    });

    it('sends an API response (JSON, event stream) only the headers that protect it; /docs gets the document set', async () => {
      const apiHeaders = [
        'content-security-policy',
        'cross-origin-resource-policy',
        'referrer-policy',
        'x-content-type-options',
        'x-frame-options',
      ];
      const documentOnly = [
        'cross-origin-opener-policy',
        'origin-agent-cluster',
        'x-dns-prefetch-control',
        'x-download-options',
        'x-permitted-cross-domain-policies',
        'x-xss-protection',
      ];
      const posted = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers: { ...json, ...authHeaders() },
        body: JSON.stringify(initializeBody()),
      });
      const stream = await fetch(`${svc.baseUrl}/sse`, {
        headers: { Accept: 'text/event-stream', ...authHeaders() },
      });
      for (const [what, res] of [
        ['POST /mcp', posted],
        ['GET /sse', stream],
      ] as const) {
        assert.equal(res.status, 200, what);
        for (const name of apiHeaders) assert.ok(res.headers.has(name), `${what}: ${name}`);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', what);
        for (const name of documentOnly) assert.equal(res.headers.get(name), null, `${what}: no ${name}`);
        await res.body?.cancel();
      }
      const docs = await fetch(`${svc.baseUrl}/docs/`);
      for (const name of documentOnly) assert.ok(docs.headers.has(name), `/docs: ${name}`);
      await docs.body?.cancel();
    });
  });

  describe('health', () => {
    it('/healthz answers GET and HEAD without auth or dependencies', async () => {
      const get = await fetch(`${svc.baseUrl}/healthz`);
      assert.equal(get.status, 200);
      assert.equal(((await get.json()) as { status: string }).status, 'ok');
      const head = await fetch(`${svc.baseUrl}/healthz`, { method: 'HEAD' });
      assert.equal(head.status, 200);
    });

    it('/readyz is 503 while the LLM provider is unreachable: a generic public reason, the details in the log', async () => {
      const res = await fetch(`${svc.baseUrl}/readyz`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as { status: string; reason: string };
      assert.equal(body.status, 'unavailable');
      assert.doesNotMatch(body.reason, /127\.0\.0\.1:9/, '/readyz is public: no upstream details');
      const line = await svc.waitForLog((l) => l.msg === 'not ready');
      assert.match(String(line.reason), /127\.0\.0\.1:9/);
    });
  });
});

describe('readiness with a reachable LLM', () => {
  let fake: FakeServer;
  let svc: RunningService;
  before(async () => {
    fake = await startFakeOllama();
    svc = await startService({ OLLAMA_BASE_URL: fake.url, OLLAMA_MODEL: 'llama3.2:1b' });
  });
  after(async () => {
    await svc.stop();
    await fake.close();
  });

  it('/readyz is 200 and names the provider', async () => {
    const res = await fetch(`${svc.baseUrl}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ready', llm: { provider: 'ollama', model: 'llama3.2:1b' } });
  });
});

describe('rate limit, public metrics', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MCP_RATE_LIMIT_PER_MINUTE: '3', MCP_METRICS_PUBLIC: 'true' });
  });
  after(async () => {
    await svc.stop();
  });

  it('answers 429 with Retry-After past the per-client limit, and never limits /healthz', async () => {
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await fetch(`${svc.baseUrl}/api/nothing-here`, { headers: authHeaders() });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [404, 404, 404, 429, 429]);
    assert.match(last!.headers.get('retry-after') ?? '', /^\d+$/);
    // /api is the REST façade: its 429 is problem+json (the MCP routes answer a JSON-RPC error instead).
    assert.match(last!.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(((await last!.json()) as { status: number }).status, 429);
    for (let i = 0; i < 5; i++) assert.equal((await fetch(`${svc.baseUrl}/healthz`)).status, 200);
  });

  it('MCP_METRICS_PUBLIC=true serves /metrics without a token to any Host (scrapers)', async () => {
    const res = await new Promise<{ status: number; body: string; keepAlive: string | undefined }>(
      (resolve, reject) => {
        const req = httpRequest(
          `${svc.baseUrl}/metrics`,
          { headers: { Host: 'mcp:8000', Connection: 'keep-alive' } },
          (r) => {
            let body = '';
            r.on('data', (c: Buffer) => (body += c.toString('utf8')));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body, keepAlive: String(r.headers['keep-alive']) }));
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    assert.equal(res.status, 200);
    assert.match(res.body, /^http_rate_limited_total [1-9]/m);
    // Connections outlive the 90 s idle timeout proxies keep upstream, so the proxy always closes first.
    assert.equal(res.keepAlive, 'timeout=95');
  });
});

describe('auth disabled explicitly', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MCP_AUTH_TOKEN: undefined, MCP_AUTH_DISABLED: 'true' });
  });
  after(async () => {
    await svc.stop();
  });

  it('serves MCP without a token and says so in the log', async () => {
    const res = await fetch(svc.mcpUrl, { method: 'POST', headers: json, body: JSON.stringify(initializeBody()) });
    assert.equal(res.status, 200);
    await svc.waitForLog((line) => String(line.msg).includes('bearer auth is OFF'));
  });
});

describe('security headers', () => {
  // securityHeaders() records what helmet sets once and replays it: it must set exactly what helmet itself sets
  // on a real response, on the API and on /docs.
  const serve = async (middleware: express.RequestHandler) => {
    const app = express();
    app.use(middleware);
    app.use((_req, res) => {
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  };
  const securityOf = (res: Response) =>
    [...res.headers].filter(
      ([name]) => !['date', 'etag', 'content-length', 'content-type', 'connection', 'keep-alive'].includes(name),
    );

  it('are the headers helmet sets, on the API and on /docs', async () => {
    const ours = await serve(securityHeaders());
    const apiHelmet = await serve(helmet(API_HELMET_OPTIONS));
    const docsHelmet = await serve(helmet(DOCS_HELMET_OPTIONS));
    try {
      for (const [path, reference] of [
        ['/mcp', apiHelmet],
        ['/api/tools/ask', apiHelmet],
        ['/docs/', docsHelmet],
      ] as const) {
        const expected = securityOf(await fetch(`${reference.url}${path}`));
        assert.ok(expected.length >= (reference === apiHelmet ? 5 : 10), `helmet set ${expected.length} headers`);
        assert.deepEqual(securityOf(await fetch(`${ours.url}${path}`)), expected, path);
      }
    } finally {
      for (const { server } of [ours, apiHelmet, docsHelmet]) server.close();
    }
  });
});
