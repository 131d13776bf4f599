// Process lifecycle: graceful shutdown with open streams and a call in flight, refusing bad configuration,
// and no secret ever reaching the logs.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSse } from '@mcp-stack/test-support/sse';
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { startFakeOpenAi } from './helpers/fake-openai.ts';
import {
  authHeaders,
  initializeBody,
  legacySseTransport,
  MCP_ACCEPT,
  runToExit,
  startService,
  TEST_TOKEN,
} from './helpers/start-service.ts';

describe('graceful shutdown', () => {
  it('on SIGTERM: open streams end, in-flight calls on every path finish, exit 0', async (t) => {
    const svc = await startService({
      MCP_CONFORMANCE_FIXTURES: 'true',
      SHUTDOWN_GRACE_SECONDS: '15',
      MCP_KEEPALIVE_SECONDS: '1',
    });
    t.after(() => svc.stop());

    // A 2025 session whose client holds its GET stream open, and a 2026-07-28 client.
    const sessionClient = new ClientV2({ name: 'shutdown-2025', version: '1.0.0' });
    await sessionClient.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
    t.after(() => sessionClient.close());
    const modernClient = new ClientV2(
      { name: 'shutdown-2026', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await modernClient.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
    t.after(() => modernClient.close());
    // ...holding a 2026-07-28 subscriptions/listen stream (the successor of the GET stream) open.
    const subscription = await modernClient.listen({ toolsListChanged: true });
    t.after(() => subscription.close());
    // A legacy SSE client, plus a raw legacy stream we watch end.
    const legacyClient = new ClientV1({ name: 'shutdown-sse', version: '1.0.0' });
    await legacyClient.connect(legacySseTransport(svc.baseUrl));
    t.after(() => legacyClient.close());
    const rawLegacy = await fetch(`${svc.baseUrl}/sse`, { headers: { ...authHeaders(), Accept: 'text/event-stream' } });
    const rawLegacyEnded = (async () => {
      for await (const _frame of readSse(rawLegacy.body!)) {
        // drain until the server ends the stream
      }
      return true;
    })();

    // Calls that take ~1.5 s on the 2026 and the 2025 path, in flight when the signal arrives.
    let progressSeen!: () => void;
    const started = new Promise<void>((resolve) => (progressSeen = resolve));
    const modernCall = modernClient.callTool(
      { name: 'test_tool_with_progress', arguments: { steps: 6, delayMs: 250 } },
      { onprogress: () => progressSeen() },
    );
    const sessionCall = sessionClient.callTool({
      name: 'test_tool_with_progress',
      arguments: { steps: 6, delayMs: 250 },
    });
    await started;

    svc.child.kill('SIGTERM');
    const [modernResult, sessionResult] = await Promise.all([modernCall, sessionCall]);
    assert.match(JSON.stringify(modernResult.content), /completed 6 steps/);
    assert.match(JSON.stringify(sessionResult.content), /completed 6 steps/);
    assert.equal(await rawLegacyEnded, true, 'the legacy SSE stream was ended by the server');

    const { code, signal } = await svc.exited;
    assert.equal(signal, null);
    assert.equal(code, 0);
    const messages = svc.logs().map((line) => line.msg);
    assert.ok(messages.includes('shutting down'));
    assert.ok(messages.includes('shutdown complete'));
    assert.ok(
      !messages.includes('grace period over; abandoning in-flight calls'),
      'the calls finished within the grace period',
    );
  });

  it('turns /readyz to 503 while draining', async (t) => {
    const svc = await startService({ MCP_CONFORMANCE_FIXTURES: 'true', SHUTDOWN_GRACE_SECONDS: '15' });
    t.after(() => svc.stop());
    // Keep the process draining with a slow call on the legacy path (its answer comes on the SSE stream).
    const stream = await fetch(`${svc.baseUrl}/sse`, { headers: { ...authHeaders(), Accept: 'text/event-stream' } });
    const frames = readSse(stream.body!);
    const endpoint = (await frames.nextEvent())!;
    const post = (body: unknown) =>
      fetch(new URL(endpoint.data!, svc.baseUrl), {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    await post(initializeBody('2025-06-18'));
    await frames.nextEvent();
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await post({
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: { name: 'test_tool_with_progress', arguments: { steps: 4, delayMs: 400 } },
    });
    svc.child.kill('SIGTERM');
    let ready: Response | undefined;
    for (let i = 0; i < 200 && !ready; i++) {
      const res = await fetch(`${svc.baseUrl}/readyz`).catch(() => undefined);
      if (res && res.status === 503 && ((await res.clone().json()) as { status: string }).status === 'draining')
        ready = res;
      else await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(ready, '/readyz answered 503 during the drain');
    assert.equal(((await ready.json()) as { status: string }).status, 'draining');
    let result: string | undefined;
    for await (const frame of frames) if (frame.kind === 'event' && frame.data.includes('"id":2')) result = frame.data;
    assert.match(result ?? '', /completed 4 steps/);
    assert.equal((await svc.exited).code, 0);
  });
});

describe('configuration errors', () => {
  it('refuses production without a token, one clear line per problem, non-zero exit', async () => {
    const { code, output } = await runToExit({
      APP_ENV: 'production',
      MCP_AUTH_TOKEN: undefined,
      PORT: 'eighty',
      MCP_CONFORMANCE_FIXTURES: 'true',
    });
    assert.equal(code, 2);
    const lines = output.trim().split('\n');
    assert.ok(
      lines.every((line) => line.startsWith('config error: ')),
      output,
    );
    assert.match(output, /^config error: PORT must be a whole number/m);
    assert.match(output, /^config error: MCP_AUTH_TOKEN: APP_ENV=production needs a token/m);
    assert.match(
      output,
      /^config error: MCP_CONFORMANCE_FIXTURES: the conformance test tools are refused in production/m,
    );
    assert.equal(lines.length, 3, output);
  });

  it('starts in production with MCP_AUTH_DISABLED=true, or with a token from MCP_AUTH_TOKEN_FILE', async () => {
    const disabled = await startService({
      APP_ENV: 'production',
      MCP_AUTH_TOKEN: undefined,
      MCP_AUTH_DISABLED: 'true',
    });
    assert.equal((await disabled.stop()).code, 0);
    const dir = mkdtempSync(join(tmpdir(), 'mcp-secret-'));
    writeFileSync(join(dir, 'token'), `${TEST_TOKEN}\n`);
    const fromFile = await startService({
      APP_ENV: 'production',
      MCP_AUTH_TOKEN: undefined,
      MCP_AUTH_TOKEN_FILE: join(dir, 'token'),
    });
    assert.equal((await fetch(fromFile.mcpUrl, { method: 'POST' })).status, 401);
    const ok = await fetch(fromFile.mcpUrl, {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json', Accept: MCP_ACCEPT },
      body: JSON.stringify(initializeBody()),
    });
    assert.equal(ok.status, 200);
    assert.equal((await fromFile.stop()).code, 0);
  });

  it('names each bad value', async () => {
    const { code, output } = await runToExit({
      MCP_SESSION_IDLE_SECONDS: '-5',
      MCP_AUTH_DISABLED: 'maybe',
      MCP_ALLOWED_HOSTS: 'https://x.example.com',
      MCP_AUTH_TOKEN: 'short',
      MCP_AUTH_TOKEN_FILE: '/nonexistent/token',
    });
    assert.equal(code, 2);
    for (const name of ['MCP_SESSION_IDLE_SECONDS', 'MCP_AUTH_DISABLED', 'MCP_ALLOWED_HOSTS', 'MCP_AUTH_TOKEN_FILE']) {
      assert.match(output, new RegExp(`^config error: ${name}\\b`, 'm'), `${name} in:\n${output}`);
    }
  });
});

describe('secrets stay out of the logs', () => {
  it('never logs the bearer token or the LLM API key, even when clients send them', async (t) => {
    const apiKey = 'sk-live-secret-9c1e5b7a3d2f4e6a8b0c';
    const fake = await startFakeOpenAi({ apiKey });
    t.after(() => fake.close());
    const svc = await startService({
      LOG_LEVEL: 'trace',
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: `${fake.url}/v1`,
      OPENAI_API_KEY: apiKey,
      OPENAI_MODEL: 'gpt-4o-mini',
      MCP_CONFORMANCE_FIXTURES: 'true',
    });
    // Right and wrong tokens, the key as a bearer token, a token in a URL, a failing call and readiness probes.
    await fetch(`${svc.baseUrl}/readyz`);
    await fetch(`${svc.mcpUrl}?token=${TEST_TOKEN}`, { method: 'POST', headers: authHeaders(`${TEST_TOKEN}-wrong`) });
    await fetch(svc.mcpUrl, { method: 'POST', headers: authHeaders(apiKey) });
    const client = new ClientV2({ name: 'secrets', version: '1.0.0' });
    await client.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
    await client.callTool({ name: 'test_error_handling', arguments: {} });
    await client.callTool({ name: 'test_simple_text', arguments: {} });
    await client.close();
    await svc.stop();
    const output = svc.output();
    assert.ok(output.includes('"msg":"request"'), 'requests were logged at all');
    assert.ok(!output.includes(TEST_TOKEN), 'the bearer token is in the logs');
    assert.ok(!output.includes(apiKey), 'the OpenAI key is in the logs');
  });
});
