// End to end through the real service process (src/main.ts) and real SDK clients: the ask tool streams progress
// before its result, cancellation and disconnects abort the upstream request (seen by the test server), failures
// are isError results while the service keeps serving, /readyz says why, and the same call works via REST.
// Every provider path: the Ollama, OpenAI and Anthropic wire-protocol test servers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_ANTHROPIC_KEY } from '@mcp-stack/test-support/credentials';
import { modernHeaders, modernMessage } from '@mcp-stack/test-support/mcp-wire';
import { readSse } from '@mcp-stack/test-support/sse';
import { textOf } from '@mcp-stack/test-support/tool-result';
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as StreamableV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FakeServer } from './helpers/fake-llm-common.ts';
import { llmEnv } from './helpers/llm-deps.ts';
import { isGeneration, providerCase, providerCases } from './helpers/llm-fixtures.ts';
import { authHeaders, initializeBody, MCP_ACCEPT, type RunningService, startService } from './helpers/start-service.ts';

const isChat = isGeneration;

for (const pc of providerCases) {
  describe(`ask end to end through the service (${pc.name})`, () => {
    let fake: FakeServer;
    let svc: RunningService;

    before(async () => {
      fake = await pc.startFake({ tokenDelayMs: 25 });
      svc = await startService(llmEnv(pc.name, fake.url, { LLM_MAX_RETRIES: '1' }));
    });
    after(async () => {
      const { code } = await svc.stop();
      await fake.close();
      assert.equal(code, 0, 'the service shut down cleanly');
    });

    const v2 = async () => {
      const client = new ClientV2({ name: 'e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
      await client.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
      return client;
    };
    const v1 = async () => {
      const client = new ClientV1({ name: 'e2e-v1', version: '1.0.0' });
      const transport = new StreamableV1(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } });
      await client.connect(transport);
      return { client, transport };
    };

    it('streams the answer as progress notifications before the result (2026-07-28 client)', async () => {
      fake.setFault({ kind: 'none' });
      const client = await v2();
      const order: string[] = [];
      const messages: string[] = [];
      const result = await client.callTool(
        { name: 'ask', arguments: { question: 'Which provider answers this question today?' } },
        {
          onprogress: (p) => {
            order.push('progress');
            messages.push(p.message ?? '');
          },
        },
      );
      order.push('result');
      const expected = 'This is the test server answering: Which provider answers this question today?';
      assert.equal(result.isError, undefined, textOf(result));
      assert.equal(textOf(result), expected);
      assert.deepEqual(result.structuredContent, { answer: expected, provider: pc.name, model: pc.model });
      assert.ok(messages.length >= 2, `progress arrived in pieces: ${JSON.stringify(messages)}`);
      assert.equal(messages.join(''), expected);
      assert.equal(order.indexOf('result'), order.length - 1, 'every progress notification came before the result');
      await client.close();
    });

    it('streams progress to a 2025 session client as well', async () => {
      const { client, transport } = await v1();
      const messages: string[] = [];
      const result = await client.callTool({ name: 'ask', arguments: { question: 'Sessions too?' } }, undefined, {
        onprogress: (p) => messages.push(p.message ?? ''),
      });
      assert.equal(textOf(result), 'This is the test server answering: Sessions too?');
      assert.equal(messages.join(''), textOf(result));
      await transport.terminateSession();
      await client.close();
    });

    for (const era of ['2026-07-28', '2025 session'] as const) {
      it(`cancelling the call aborts the upstream request (${era} client)`, async () => {
        fake.setFault({ kind: 'hang', afterTokens: 2 });
        fake.requests.length = 0;
        const controller = new AbortController();
        const onprogress = () => controller.abort('user pressed stop');
        let close: () => Promise<void>;
        let call: Promise<unknown>;
        if (era === '2026-07-28') {
          const client = await v2();
          close = () => client.close();
          call = client.callTool(
            { name: 'ask', arguments: { question: 'never ending' } },
            { signal: controller.signal, onprogress },
          );
        } else {
          const { client, transport } = await v1();
          close = async () => {
            await transport.terminateSession();
            await client.close();
          };
          call = client.callTool({ name: 'ask', arguments: { question: 'never ending' } }, undefined, {
            signal: controller.signal,
            onprogress,
          });
        }
        await assert.rejects(call);
        const upstream = await fake.waitForRequest((r) => isChat(r.path));
        assert.equal(upstream.aborted, true, 'the test server saw the service abort the request');
        assert.equal(upstream.completed, false);
        fake.setFault({ kind: 'none' });
        await close();
      });
    }

    it('notifications/cancelled alone (call stream still open) aborts the upstream request', async () => {
      fake.setFault({ kind: 'hang', afterTokens: 2 });
      fake.requests.length = 0;
      const headers = { ...authHeaders(), 'Content-Type': 'application/json', Accept: MCP_ACCEPT };
      const init = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers,
        body: JSON.stringify(initializeBody('2025-11-25')),
      });
      const sessionId = init.headers.get('mcp-session-id')!;
      await init.body?.cancel();
      const session = { ...headers, 'Mcp-Session-Id': sessionId, 'Mcp-Protocol-Version': '2025-11-25' };
      await (
        await fetch(svc.mcpUrl, {
          method: 'POST',
          headers: session,
          body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
        })
      ).body?.cancel();
      const call = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers: session,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: 'ask', arguments: { question: 'long' }, _meta: { progressToken: 'p7' } },
        }),
      });
      const frames = readSse(call.body!);
      // Skip the priming event (an id with empty data, for resumability) and wait for the first progress.
      let first: { method?: string } = {};
      while (!first.method) {
        const frame = await frames.nextEvent();
        assert.ok(frame, 'the call stream ended before any progress');
        if (frame.data) first = JSON.parse(frame.data) as { method?: string };
      }
      assert.equal(first.method, 'notifications/progress', 'the stream is running');
      const cancel = await fetch(svc.mcpUrl, {
        method: 'POST',
        headers: session,
        body: JSON.stringify({
          jsonrpc: '2.0',
          method: 'notifications/cancelled',
          params: { requestId: 7, reason: 'test' },
        }),
      });
      assert.equal(cancel.status, 202);
      const upstream = await fake.waitForRequest((r) => isChat(r.path));
      assert.equal(upstream.aborted, true, 'the cancel notification alone aborted the upstream request');
      await frames.cancel();
      await (await fetch(svc.mcpUrl, { method: 'DELETE', headers: session })).body?.cancel();
      fake.setFault({ kind: 'none' });
    });

    it('a client that disconnects mid-call aborts the upstream request', async () => {
      fake.setFault({ kind: 'hang', afterTokens: 1 });
      fake.requests.length = 0;
      const client = await v2();
      let closing: Promise<void> | undefined;
      const call = client.callTool(
        { name: 'ask', arguments: { question: 'hello?' } },
        {
          onprogress: () => {
            closing ??= client.close();
          },
        },
      );
      await call.catch(() => undefined);
      await closing;
      const upstream = await fake.waitForRequest((r) => isChat(r.path));
      assert.equal(upstream.aborted, true);
      fake.setFault({ kind: 'none' });
    });

    it('a 2026-07-28 caller that goes away before its JSON answer aborts the upstream request', async () => {
      // No progress token: nothing is streamed, so only the service's own handling of the closed connection (not
      // a cancelled event stream) can end the call.
      fake.setFault({ kind: 'hang', afterTokens: 1 });
      fake.requests.length = 0;
      const gone = new AbortController();
      const call = fetch(svc.mcpUrl, {
        method: 'POST',
        headers: { ...modernHeaders('tools/call', 'ask'), ...authHeaders() },
        body: JSON.stringify(modernMessage('tools/call', { name: 'ask', arguments: { question: 'hello?' } })),
        signal: gone.signal,
      }).catch(() => undefined);
      for (let waited = 0; !fake.requests.some((r) => isChat(r.path)); waited += 20) {
        assert.ok(waited < 5_000, 'the call reached the provider');
        await sleep(20);
      }
      gone.abort();
      await call;
      const upstream = await Promise.race([fake.waitForRequest((r) => isChat(r.path)), sleep(5_000)]);
      assert.equal(upstream?.aborted, true, 'the upstream request ended when the caller went away');
      fake.setFault({ kind: 'none' });
    });

    it('a broken provider gives isError with the reason, and the service keeps serving', async () => {
      const client = await v2();
      fake.setFault({ kind: 'malformed' });
      const failed = await client.callTool({ name: 'ask', arguments: { question: 'garbage please' } });
      assert.equal(failed.isError, true);
      assert.match(textOf(failed), /sent a malformed (or truncated )?response stream/);
      fake.setFault({ kind: 'none' });
      const ok = await client.callTool({ name: 'ask', arguments: { question: 'and now?' } });
      assert.equal(ok.isError, undefined);
      const health = await fetch(`${svc.baseUrl}/healthz`);
      assert.equal(health.status, 200);
      await client.close();
    });

    it('REST runs the same tool', async () => {
      const response = await fetch(`${svc.baseUrl}/api/tools/ask`, {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ question: 'over REST?' }),
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        answer: 'This is the test server answering: over REST?',
        provider: pc.name,
        model: pc.model,
      });
    });

    it('/readyz is ready, and the tool metrics count the calls', async () => {
      const ready = await fetch(`${svc.baseUrl}/readyz`);
      assert.equal(ready.status, 200);
      const metrics = await (await fetch(`${svc.baseUrl}/metrics`, { headers: authHeaders() })).text();
      assert.match(metrics, /mcp_tool_calls_total\{tool="ask",outcome="ok"\} [1-9]/);
      assert.match(metrics, /mcp_tool_calls_total\{tool="ask",outcome="cancelled"\} [1-9]/);
      assert.match(metrics, /mcp_tool_calls_total\{tool="ask",outcome="error"\} [1-9]/);
      assert.match(metrics, /mcp_tool_duration_seconds_count\{tool="ask"\} [1-9]/);
    });
  });
}

describe('the service when the model is missing or the key is wrong', () => {
  it('Ollama without the model: ask says to pull it, /readyz is not ready and the log says why', async () => {
    const fake = await providerCases[0]!.startFake({ models: ['some-other-model:latest'] });
    const svc = await startService(llmEnv('ollama', fake.url, { OLLAMA_MODEL: 'llama3.2' }));
    try {
      const client = new ClientV2({ name: 'e2e', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
      await client.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
      const result = await client.callTool({ name: 'ask', arguments: { question: 'hi' } });
      const expected = `model llama3.2 is not pulled in Ollama at ${fake.url}: run make pull-model (or: ollama pull llama3.2)`;
      assert.equal(result.isError, true);
      assert.equal(textOf(result), expected);
      const ready = await fetch(`${svc.baseUrl}/readyz`);
      assert.equal(ready.status, 503);
      // /readyz is public: the reason there is generic; the log says why.
      assert.notEqual(((await ready.json()) as { reason: string }).reason, expected);
      assert.equal((await svc.waitForLog((l) => l.msg === 'not ready')).reason, expected);
      await client.close();
    } finally {
      await svc.stop();
      await fake.close();
    }
  });

  for (const pc of providerCases.filter((c) => c.name !== 'ollama')) {
    const keyVariable = pc.name === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
    it(`${pc.name} with a wrong key: ask says so, the key never reaches the logs`, async () => {
      const fake = await pc.startFake();
      const svc = await startService(llmEnv(pc.name, fake.url, { [keyVariable]: 'sk-wrong-key-do-not-log-me' }));
      try {
        const client = new ClientV2({ name: 'e2e', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
        await client.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
        const result = await client.callTool({ name: 'ask', arguments: { question: 'hi' } });
        assert.equal(result.isError, true);
        assert.equal(textOf(result), `${pc.label(fake.url)} rejected the API key (401): check ${keyVariable}`);
        assert.equal(fake.requests.filter((r) => isChat(r.path)).length, 1, '401 is not retried');
        const ready = await fetch(`${svc.baseUrl}/readyz`);
        assert.equal(ready.status, 503);
        assert.doesNotMatch(await ready.text(), /sk-wrong/);
        await client.close();
      } finally {
        await svc.stop();
        await fake.close();
      }
      assert.doesNotMatch(svc.output(), /sk-wrong-key-do-not-log-me/);
    });
  }

  for (const provider of ['openai', 'anthropic'] as const) {
    it(`refuses to start with LLM_PROVIDER=${provider} and no key`, async () => {
      const { runToExit } = await import('./helpers/start-service.ts');
      const { code, output } = await runToExit({ LLM_PROVIDER: provider });
      const variable = `${provider.toUpperCase()}_API_KEY`;
      assert.equal(code, 2);
      assert.match(output, new RegExp(`config error: ${variable}: LLM_PROVIDER=${provider} needs an API key`));
    });
  }
});

// Each cause the Messages API reports, through the real service process: the MCP client gets an isError result
// naming it, the REST client a problem+json with the status that fits, and nothing quotes the key.
describe('anthropic failures over MCP and REST', () => {
  const pc = providerCase('anthropic');
  let fake: FakeServer;
  let svc: RunningService;
  let client: ClientV2;
  before(async () => {
    fake = await pc.startFake();
    svc = await startService(llmEnv('anthropic', fake.url, { LLM_MAX_RETRIES: '1' }));
    client = new ClientV2({ name: 'e2e', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
  });
  after(async () => {
    await client.close();
    const { code } = await svc.stop();
    await fake.close();
    assert.equal(code, 0);
    assert.doesNotMatch(svc.output(), new RegExp(TEST_ANTHROPIC_KEY));
  });

  const cases = [
    {
      cause: 'bad key',
      fault: { kind: 'unauthorized' },
      status: 502,
      text: (url: string) => `Anthropic API at ${url} rejected the API key (401): check ANTHROPIC_API_KEY`,
    },
    {
      cause: 'overloaded',
      fault: { kind: 'server-error', times: 2, status: 529 },
      status: 502,
      text: (url: string) =>
        `Anthropic API at ${url} is overloaded (529): try again in a moment (gave up after 2 attempts)`,
    },
    {
      cause: 'rate limited',
      fault: { kind: 'rate-limit', times: 2, retryAfterSeconds: 0 },
      status: 503,
      text: (url: string) =>
        `Anthropic API at ${url} is rate limiting requests (429: This request would exceed the rate limit for your ` +
        'organization of 50 requests per minute. Please retry after the time in the retry-after header.) (gave up after 2 attempts)',
    },
    {
      cause: 'context too long',
      fault: { kind: 'prompt-too-long' },
      status: 413,
      text: (url: string) =>
        `Anthropic API at ${url} refused the input as longer than model claude-haiku-5-5 accepts ` +
        '(400: prompt is too long: 204096 tokens > 200000 maximum): send a shorter text',
    },
  ] as const;

  for (const { cause, fault, status, text } of cases) {
    it(`${cause}: isError over MCP, ${status} problem over REST, both naming it`, async () => {
      fake.setFault(fault);
      const result = await client.callTool({ name: 'ask', arguments: { question: 'hi' } });
      assert.equal(result.isError, true);
      assert.equal(textOf(result), text(fake.url));
      fake.setFault(fault); // counted faults start again for the REST call
      const response = await fetch(`${svc.baseUrl}/api/tools/summarize`, {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ text: 'A text to summarize.' }),
      });
      assert.equal(response.status, status);
      assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const problem = (await response.json()) as { detail: string };
      assert.equal(problem.detail, text(fake.url));
      assert.doesNotMatch(JSON.stringify(problem), new RegExp(TEST_ANTHROPIC_KEY));
      fake.setFault({ kind: 'none' });
    });
  }

  it('a model the API does not know: isError, and /readyz says why without generating anything', async () => {
    const other = await startService(llmEnv('anthropic', fake.url, { ANTHROPIC_MODEL: 'claude-nonexistent' }));
    try {
      fake.requests.length = 0;
      const ready = await fetch(`${other.baseUrl}/readyz`);
      assert.equal(ready.status, 503);
      const expected = `Anthropic API at ${fake.url} does not know model claude-nonexistent (404): check ANTHROPIC_MODEL`;
      // /readyz is public: a generic reason there, the cause in the service log.
      const publicReason = ((await ready.json()) as { reason: string }).reason;
      assert.doesNotMatch(publicReason, /claude-nonexistent|127\.0\.0\.1/);
      assert.match(publicReason, /not ready/);
      await other.waitForLog((line) => line.msg === 'not ready' && line.reason === expected);
      assert.deepEqual(
        fake.requests.map((r) => `${r.method} ${r.path}`),
        ['GET /v1/models/claude-nonexistent'],
      );
      const response = await fetch(`${other.baseUrl}/api/tools/ask`, {
        method: 'POST',
        headers: { ...authHeaders(), 'Content-Type': 'application/json' },
        body: JSON.stringify({ question: 'hi' }),
      });
      assert.equal(response.status, 503);
      assert.equal(((await response.json()) as { detail: string }).detail, expected);
    } finally {
      await other.stop();
    }
  });
});
