// Both providers, through the real `ollama` and `openai` clients, against the wire-protocol test servers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LlmError } from '../src/llm/types.ts';
import type { FakeServer } from './helpers/fake-llm-common.ts';
import { closedPort, providerCases, providerFor } from './helpers/llm-fixtures.ts';

const question = [{ role: 'user' as const, content: 'Why is the sky blue?' }];

async function failure(promise: Promise<unknown>): Promise<LlmError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LlmError, `expected LlmError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

const chatRequests = (fake: FakeServer) => fake.requests.filter((r) => /\/(api\/chat|chat\/completions)$/.test(r.path));

for (const pc of providerCases) {
  describe(`${pc.name} provider`, () => {
    let fake: FakeServer;
    before(async () => {
      fake = await pc.startFake();
    });
    after(() => fake.close());
    const fresh = () => {
      fake.setFault({ kind: 'none' });
      fake.requests.length = 0;
    };

    it('streams the answer token by token, then returns the whole text', async () => {
      fresh();
      const tokens: string[] = [];
      let resolved = false;
      const result = await providerFor(pc.config(fake.url)).chat({
        messages: question,
        onToken: (text) => {
          assert.equal(resolved, false, 'tokens arrive before the call resolves');
          tokens.push(text);
        },
      });
      resolved = true;
      assert.equal(result.text, 'This is the test server answering: Why is the sky blue?');
      assert.ok(tokens.length > 5, `expected several tokens, got ${tokens.length}`);
      assert.equal(tokens.join(''), result.text);
      const [request] = chatRequests(fake);
      assert.ok(request, 'the provider sent a chat request');
      assert.equal((request.body as { model: string }).model, pc.model);
      assert.equal((request.body as { stream: boolean }).stream, true);
    });

    it('lists models and reports healthy', async () => {
      fresh();
      const provider = providerFor(pc.config(fake.url));
      assert.deepEqual(await provider.listModels(), [pc.model]);
      assert.deepEqual(await provider.health(), { ok: true });
    });

    it('retries a 429 and then succeeds', async () => {
      fresh();
      fake.setFault({ kind: 'rate-limit', times: 1 });
      const result = await providerFor(pc.config(fake.url)).chat({ messages: question });
      assert.match(result.text, /sky blue/);
      assert.deepEqual(chatRequests(fake).map((r) => r.status), [429, 200]);
    });

    it('retries 5xx and a reset connection, up to LLM_MAX_RETRIES', async () => {
      fresh();
      fake.setFault({ kind: 'server-error', times: 2, status: 503 });
      await providerFor(pc.config(fake.url, { maxRetries: 2 })).chat({ messages: question });
      assert.deepEqual(chatRequests(fake).map((r) => r.status), [503, 503, 200]);

      fresh();
      fake.setFault({ kind: 'reset', times: 1 });
      const result = await providerFor(pc.config(fake.url)).chat({ messages: question });
      assert.match(result.text, /sky blue/);
      assert.equal(chatRequests(fake).length, 2);

      fresh();
      fake.setFault({ kind: 'server-error', times: 5 });
      const error = await failure(providerFor(pc.config(fake.url, { maxRetries: 1 })).chat({ messages: question }));
      assert.equal(error.kind, 'upstream');
      assert.match(error.message, /failed \(500.*\(gave up after 2 attempts\)$/);
      assert.equal(chatRequests(fake).length, 2);
    });

    it('explains an HTML error page from a proxy in front of the provider, without console output', async (t) => {
      fresh();
      fake.setFault({ kind: 'proxy-error', times: 5 });
      // Console lines would land between the service's JSON log lines.
      const consoleCalls = (['log', 'info', 'warn', 'error'] as const).map((method) => t.mock.method(console, method));
      const error = await failure(providerFor(pc.config(fake.url, { maxRetries: 1 })).chat({ messages: question }));
      assert.deepEqual(consoleCalls.map((mock) => mock.mock.callCount()), [0, 0, 0, 0]);
      assert.equal(error.kind, 'upstream');
      assert.match(error.message, /failed \(502: 502 Bad Gateway .*nginx\) \(gave up after 2 attempts\)$/);
      assert.doesNotMatch(error.message, /<html>/);
    });

    it('names the missing model and does not retry', async () => {
      fresh();
      const provider = providerFor(pc.config(fake.url, { model: 'no-such-model' }));
      const error = await failure(provider.chat({ messages: question }));
      assert.equal(error.kind, 'model_not_found');
      if (pc.name === 'ollama') {
        assert.equal(
          error.message,
          `model no-such-model is not pulled in Ollama at ${fake.url}: run make pull-model (or: ollama pull no-such-model)`,
        );
      } else {
        assert.equal(
          error.message,
          `OpenAI-compatible server at ${fake.url}/v1 does not know model no-such-model (404): check OPENAI_MODEL`,
        );
      }
      assert.equal(chatRequests(fake).length, 1);
      const health = await provider.health();
      const reason =
        pc.name === 'ollama'
          ? error.message
          : `OpenAI-compatible server at ${fake.url}/v1 does not list model no-such-model in /models: check OPENAI_MODEL`;
      assert.deepEqual(health, { ok: false, reason });
    });

    it('explains a refused connection after retrying, and /readyz gets the reason', async () => {
      const port = await closedPort();
      const provider = providerFor(pc.config(`http://127.0.0.1:${port}`, { maxRetries: 1 }));
      const error = await failure(provider.chat({ messages: question }));
      assert.equal(error.kind, 'unreachable');
      const label = pc.name === 'ollama' ? `Ollama at http://127.0.0.1:${port}` : `OpenAI-compatible server at http://127.0.0.1:${port}/v1`;
      assert.ok(
        error.message.startsWith(`${label} is not reachable (connection refused): check`),
        error.message,
      );
      assert.match(error.message, /\(gave up after 2 attempts\)$/);
      const health = await provider.health();
      assert.equal(health.ok, false);
      assert.match(health.ok ? '' : health.reason, /is not reachable \(connection refused\)/);
    });

    it('health answers within its own deadline when the provider stalls', async () => {
      fresh();
      fake.setFault({ kind: 'delay', ms: 10_000 });
      const health = await providerFor(pc.config(fake.url)).health();
      const label = pc.name === 'ollama' ? `Ollama at ${fake.url}` : `OpenAI-compatible server at ${fake.url}/v1`;
      assert.deepEqual(health, { ok: false, reason: `${label} did not answer the health check within 2.5 s` });
      const probe = await fake.waitForRequest((r) => /tags|models/.test(r.path));
      assert.equal(probe.aborted, true, 'the probe request was abandoned, not left hanging');
    });

    it('turns a malformed stream into a clear error', async () => {
      fresh();
      fake.setFault({ kind: 'malformed' });
      const error = await failure(providerFor(pc.config(fake.url, { maxRetries: 0 })).chat({ messages: question }));
      assert.equal(error.kind, 'bad_response');
      assert.match(error.message, /sent a malformed (or truncated )?response stream/);
    });

    it('stops at LLM_TIMEOUT_SECONDS and aborts the upstream request', async () => {
      fresh();
      fake.setFault({ kind: 'hang', afterTokens: 1 });
      const error = await failure(providerFor(pc.config(fake.url, { timeoutMs: 1_000 })).chat({ messages: question }));
      assert.equal(error.kind, 'timeout');
      assert.match(error.message, /did not finish within 1 s \(LLM_TIMEOUT_SECONDS\)/);
      const request = await fake.waitForRequest((r) => /chat/.test(r.path));
      assert.equal(request.aborted, true);
      assert.equal(chatRequests(fake).length, 1, 'a timeout is not retried');
    });

    it('aborts the upstream request when the caller cancels mid-stream', async () => {
      fresh();
      fake.setFault({ kind: 'hang', afterTokens: 2 });
      const controller = new AbortController();
      const tokens: string[] = [];
      const call = providerFor(pc.config(fake.url)).chat({
        messages: question,
        signal: controller.signal,
        onToken: (text) => {
          tokens.push(text);
          if (tokens.length === 2) controller.abort();
        },
      });
      const error = await failure(call);
      assert.equal(error.kind, 'cancelled');
      const request = await fake.waitForRequest((r) => /chat/.test(r.path));
      assert.equal(request.aborted, true);
      assert.equal(request.completed, false);
      assert.equal(chatRequests(fake).length, 1);
    });
  });
}

describe('openai provider: API key', () => {
  it('reports a rejected key without retrying, and never shows the key', async () => {
    const pc = providerCases.find((c) => c.name === 'openai')!;
    const fake = await pc.startFake();
    try {
      const provider = providerFor(pc.config(fake.url, { apiKey: 'sk-wrong-secret-value' }));
      const error = await failure(provider.chat({ messages: question }));
      assert.equal(error.kind, 'auth');
      assert.equal(
        error.message,
        `OpenAI-compatible server at ${fake.url}/v1 rejected the API key (401): check OPENAI_API_KEY`,
      );
      assert.equal(fake.requests.length, 1, '401 is not retried');
      assert.equal(fake.requests[0]?.authorization, 'Bearer sk-wrong-secret-value');
      const health = await provider.health();
      assert.deepEqual(health, { ok: false, reason: error.message });
      assert.doesNotMatch(JSON.stringify(health), /sk-wrong/);
    } finally {
      await fake.close();
    }
  });
});
