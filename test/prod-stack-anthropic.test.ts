/**
 * The production stack with LLM_PROVIDER=anthropic: compose.prod.yaml alone, the service image built from the real
 * Dockerfile, the key in the `llm_api_key` secret file, and the provider switched by environment only. No real
 * Anthropic API can be reached here: the Messages API is the service tests' wire-protocol test server
 * (fake-anthropic.ts) in a `node` container on the stack's internal network (see helpers/anthropic-server.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type AnthropicTestServer, startAnthropicTestServer } from './helpers/anthropic-server.ts';
import type { ComposeStack } from './helpers/compose.ts';
import { connectV2 } from './helpers/mcp-clients.ts';
import { assertSecretsAsFiles, startProdStack } from './helpers/prod-stack.ts';
import { askOverBothTransports, askWithProgressV2 } from './helpers/stack-checks.ts';
import type { LocalTlsClient } from './helpers/tls.ts';

const token = randomBytes(24).toString('hex');
const apiKey = `sk-ant-test-${randomBytes(16).toString('hex')}`;
const model = 'claude-haiku-5-5';
let stack: ComposeStack;
let llm: AnthropicTestServer;
let tls: LocalTlsClient;
let stop: (() => Promise<void>) | undefined;
let mcpUrl = '';

describe('prod stack with LLM_PROVIDER=anthropic (environment only)', () => {
  before(async () => {
    ({ stack, tls, llm, mcpUrl, stop } = await startProdStack({
      prefix: 'mcpit-claude',
      token,
      apiKey,
      env: (llmName) => ({
        MCP_REPLICAS: '1',
        LLM_PROVIDER: 'anthropic',
        ANTHROPIC_BASE_URL: `http://${llmName}:8081`,
        ANTHROPIC_MODEL: model,
        ANTHROPIC_MAX_TOKENS: '256',
      }),
      startLlm: (at) => startAnthropicTestServer({ ...at, model, apiKey }),
    }));
  });

  after(async () => {
    await stop?.();
  });

  test('the provider comes from the environment and the key from the llm_api_key secret file', async () => {
    for (const env of await assertSecretsAsFiles(stack, { keyVariable: 'ANTHROPIC_API_KEY', apiKey, token }))
      assert.equal(env.LLM_PROVIDER, 'anthropic');
  });

  test('/readyz turns ready through the models endpoint, without a generation request', async () => {
    // The probe result is cached for a few seconds and the test server started after the stack: poll.
    let last = '';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const res = await tls.fetch(`${mcpUrl}/readyz`);
      last = `${res.status} ${await res.text()}`;
      if (res.status === 200) break;
      await delay(500);
    }
    assert.match(last, /^200 /, last);
    assert.deepEqual(JSON.parse(last.slice(4)).llm, { provider: 'anthropic', model });
    const requests = await llm.requests();
    assert.ok(
      requests.some((r) => r.method === 'GET' && r.path === `/v1/models/${model}` && r.status === 200),
      JSON.stringify(requests.map((r) => r.path)),
    );
  });

  test('`ask` streams through Traefik from the Messages API, with the key from the secret', async () => {
    const asked = await askOverBothTransports(
      { baseUrl: mcpUrl, fetch: tls.fetch, token },
      { modern: 'What is MCP?', legacy: 'Say something short.' },
      { provider: 'anthropic', model },
    );
    for (const { question, outcome } of asked)
      assert.equal(outcome.answer, `This is the test server answering: ${question}`);
    const generations = (await llm.requests()).filter((r) => r.path === '/v1/messages');
    assert.equal(generations.length, 2, JSON.stringify(generations.map((r) => r.status)));
    for (const request of generations) {
      assert.equal(request.status, 200);
      assert.equal(request.completed, true);
      assert.equal(request.headers.authorization ?? `Bearer ${request.headers['x-api-key']}`, `Bearer ${apiKey}`);
      assert.ok(request.headers['anthropic-version'], 'anthropic-version header sent');
      assert.deepEqual(
        {
          model: (request.body as { model: string }).model,
          max_tokens: (request.body as { max_tokens: number }).max_tokens,
          stream: (request.body as { stream: boolean }).stream,
        },
        { model, max_tokens: 256, stream: true },
      );
    }
  });

  test('an overloaded API (529) is retried, then answers', async () => {
    await llm.setFault({ kind: 'server-error', times: 1, status: 529 });
    const target = { baseUrl: mcpUrl, fetch: tls.fetch, token };
    const modern = await connectV2(target, { pin: '2026-07-28' });
    try {
      const outcome = await askWithProgressV2(modern.client, 'Busy?');
      assert.equal(outcome.answer, 'This is the test server answering: Busy?');
    } finally {
      await modern.close();
      await llm.setFault({ kind: 'none' });
    }
    const statuses = (await llm.requests()).filter((r) => r.path === '/v1/messages').map((r) => r.status);
    assert.deepEqual(statuses.slice(-2), [529, 200]);
  });
});
