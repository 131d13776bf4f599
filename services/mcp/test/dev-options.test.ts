// Two switches a developer or operator meets early: readable logs in development (LOG_FORMAT) and the legacy
// 2024-11-05 HTTP+SSE transport switched off (MCP_LEGACY_SSE=false).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { loadConfig } from '../src/config/index.ts';
import { configProblems } from './helpers/config.ts';
import { listenApp } from './helpers/in-process-app.ts';
import { buildDeps } from './helpers/llm-deps.ts';

const serviceDir = join(import.meta.dirname, '..');

describe('LOG_FORMAT', () => {
  it('is pretty in development and JSON elsewhere unless set; a bad value is a config error', () => {
    const base = { OLLAMA_BASE_URL: 'http://127.0.0.1:9', MCP_AUTH_TOKEN: 'a-token-of-enough-length' };
    assert.equal(loadConfig({ ...base, APP_ENV: 'development' }).logFormat, 'pretty');
    assert.equal(loadConfig({ ...base, APP_ENV: 'staging' }).logFormat, 'json');
    assert.equal(loadConfig({ ...base, APP_ENV: 'development', LOG_FORMAT: 'json' }).logFormat, 'json');
    assert.equal(loadConfig({ ...base, APP_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat, 'pretty');
    assert.deepEqual(configProblems({ ...base, LOG_FORMAT: 'xml' }), ['LOG_FORMAT must be json or pretty (got "xml")']);
  });

  it('development prints readable lines, not JSON, and still redacts', async () => {
    const child = spawn(process.execPath, ['src/main.ts'], {
      cwd: serviceDir,
      env: {
        PATH: process.env.PATH,
        APP_ENV: 'development',
        PORT: '0',
        MCP_BIND_HOST: '127.0.0.1',
        OLLAMA_BASE_URL: 'http://127.0.0.1:9',
        MCP_AUTH_TOKEN: 'secret-token-0123456789',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      const deadline = Date.now() + 20_000;
      while (!/listening/i.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, /listening/i, out);
      const line = out.split('\n').find((l) => /listening/i.test(l))!;
      assert.throws(() => JSON.parse(line), 'a pretty line is not JSON');
      assert.match(line, /\d\d:\d\d:\d\d\.\d{3}/, 'a readable time');
      assert.match(line, /INFO/, 'a readable level');
      assert.ok(!out.includes('secret-token-0123456789'), 'the token never appears');
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('MCP_LEGACY_SSE=false', () => {
  let app: Awaited<ReturnType<typeof listenApp>>;
  before(async () => {
    app = await listenApp(
      buildDeps({
        LLM_PROVIDER: 'ollama',
        OLLAMA_BASE_URL: 'http://127.0.0.1:9',
        MCP_LEGACY_SSE: 'false',
        MCP_AUTH_DISABLED: 'true',
      }),
    );
  });
  after(() => app?.close());

  it('GET /sse and POST /messages answer 404 with a JSON-RPC error that says what to use instead', async () => {
    for (const [method, path] of [
      ['GET', '/sse'],
      ['POST', '/messages?sessionId=x'],
    ] as const) {
      const res = await fetch(`${app.baseUrl}${path}`, {
        method,
        headers: { Accept: 'text/event-stream', 'Content-Type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) : undefined,
      });
      assert.equal(res.status, 404, `${method} ${path}`);
      const body = (await res.json()) as { jsonrpc: string; error: { code: number; message: string } };
      assert.equal(body.jsonrpc, '2.0');
      assert.match(body.error.message, /switched off .*MCP_LEGACY_SSE=false.*Streamable HTTP at \/mcp/);
    }
  });

  it('Streamable HTTP at /mcp still serves', async () => {
    const client = new Client({ name: 'legacy-off', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', app.baseUrl)));
    const { tools } = await client.listTools();
    assert.ok(tools.some((t) => t.name === 'ask'));
    await client.close();
  });

  it('is on by default', () => {
    assert.equal(loadConfig({ OLLAMA_BASE_URL: 'http://127.0.0.1:9' }).mcp.legacySse, true);
  });
});
