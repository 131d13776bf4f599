// Every provider, through its real client (`ollama`, `openai`, `@anthropic-ai/sdk`), against the wire-protocol test
// servers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_ANTHROPIC_KEY } from '@mcp-stack/test-support/credentials';
import { LlmError } from '../src/llm/types.ts';
import type { FakeServer, Fault } from './helpers/fake-llm-common.ts';
import { closedPort, isGeneration, providerCase, providerCases, providerFor } from './helpers/llm-fixtures.ts';

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

const chatRequests = (fake: FakeServer) => fake.requests.filter((r) => isGeneration(r.path));

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
    /** A chat that fails after two tokens: both reached the caller and the call was not retried. */
    const failureAfterText = async (fault: Fault) => {
      fresh();
      fake.setFault(fault);
      const streamed: string[] = [];
      const error = await failure(
        providerFor(pc.config(fake.url)).chat({ messages: question, onToken: (t) => streamed.push(t) }),
      );
      assert.equal(streamed.length, 2, 'the text before the failure reached the caller');
      assert.ok(error.message.startsWith(pc.label(fake.url)), error.message);
      assert.equal(chatRequests(fake).length, 1, 'no retry once text was streamed');
      return error;
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
      assert.deepEqual(
        chatRequests(fake).map((r) => r.status),
        [429, 200],
      );
    });

    it('retries 5xx and a reset connection, up to LLM_MAX_RETRIES', async () => {
      fresh();
      fake.setFault({ kind: 'server-error', times: 2, status: 503 });
      await providerFor(pc.config(fake.url, { maxRetries: 2 })).chat({ messages: question });
      assert.deepEqual(
        chatRequests(fake).map((r) => r.status),
        [503, 503, 200],
      );

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
      assert.deepEqual(
        consoleCalls.map((mock) => mock.mock.callCount()),
        [0, 0, 0, 0],
      );
      assert.equal(error.kind, 'upstream');
      assert.match(error.message, /failed \(502: 502 Bad Gateway .*nginx\) \(gave up after 2 attempts\)$/);
      assert.doesNotMatch(error.message, /<html>/);
    });

    it('names the missing model and does not retry', async () => {
      fresh();
      const provider = providerFor(pc.config(fake.url, { model: 'no-such-model' }));
      const error = await failure(provider.chat({ messages: question }));
      assert.equal(error.kind, 'model_not_found');
      const expected = {
        ollama: `model no-such-model is not pulled in Ollama at ${fake.url}: run make pull-model (or: ollama pull no-such-model)`,
        openai: `OpenAI-compatible server at ${fake.url}/v1 does not know model no-such-model (404): check OPENAI_MODEL`,
        anthropic: `Anthropic API at ${fake.url} does not know model no-such-model (404): check ANTHROPIC_MODEL`,
      }[pc.name];
      assert.equal(error.message, expected);
      assert.equal(chatRequests(fake).length, 1);
      const health = await provider.health();
      const reason =
        pc.name === 'openai'
          ? `OpenAI-compatible server at ${fake.url}/v1 does not list model no-such-model in /models: check OPENAI_MODEL`
          : error.message;
      assert.deepEqual(health, { ok: false, reason });
    });

    it('explains a refused connection after retrying, and /readyz gets the reason', async () => {
      const port = await closedPort();
      const provider = providerFor(pc.config(`http://127.0.0.1:${port}`, { maxRetries: 1 }));
      const error = await failure(provider.chat({ messages: question }));
      assert.equal(error.kind, 'unreachable');
      const label = pc.label(`http://127.0.0.1:${port}`);
      assert.ok(error.message.startsWith(`${label} is not reachable (connection refused): check`), error.message);
      assert.match(error.message, /\(gave up after 2 attempts\)$/);
      const health = await provider.health();
      assert.equal(health.ok, false);
      assert.match(health.ok ? '' : health.reason, /is not reachable \(connection refused\)/);
    });

    it('health answers within its own deadline when the provider stalls', async () => {
      fresh();
      fake.setFault({ kind: 'delay', ms: 10_000 });
      const health = await providerFor(pc.config(fake.url)).health();
      assert.deepEqual(health, {
        ok: false,
        reason: `${pc.label(fake.url)} did not answer the health check within 2.5 s`,
      });
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
      const request = await fake.waitForRequest((r) => isGeneration(r.path));
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
      const request = await fake.waitForRequest((r) => isGeneration(r.path));
      assert.equal(request.aborted, true);
      assert.equal(request.completed, false);
      assert.equal(chatRequests(fake).length, 1);
    });

    it('retries an error reported inside the stream before any text, never after text was streamed', async () => {
      fresh();
      fake.setFault({ kind: 'stream-error', afterTokens: 0 });
      const tokens: string[] = [];
      const result = await providerFor(pc.config(fake.url)).chat({
        messages: question,
        onToken: (t) => tokens.push(t),
      });
      assert.match(result.text, /sky blue/);
      assert.equal(tokens.join(''), result.text, 'nothing streamed twice');
      assert.equal(chatRequests(fake).length, 2);

      assert.equal((await failureAfterText({ kind: 'stream-error', afterTokens: 2 })).kind, 'upstream');
    });

    it('a stream cut before the model finished is a bad response naming the URL to check, not retried', async () => {
      const error = await failureAfterText({ kind: 'cut', afterTokens: 2 });
      assert.equal(error.kind, 'bad_response');
      assert.match(error.message, /response stream.*check (that )?[A-Z]+_BASE_URL/);
    });

    if (pc.name !== 'ollama') {
      it('waits as long as retry-after asks before retrying a 429', async () => {
        fresh();
        fake.setFault({ kind: 'rate-limit', times: 1, retryAfterSeconds: 1 });
        await providerFor(pc.config(fake.url)).chat({ messages: question });
        const [limited, retried] = chatRequests(fake);
        assert.deepEqual([limited?.status, retried?.status], [429, 200]);
        const waited = retried!.receivedAt - limited!.receivedAt;
        assert.ok(waited >= 950, `retried after ${waited} ms, retry-after said 1 s`);
      });

      // Ollama truncates an over-long prompt instead of refusing it.
      it('names an input longer than the context window, without retrying', async () => {
        fresh();
        fake.setFault({ kind: 'prompt-too-long' });
        const error = await failure(providerFor(pc.config(fake.url)).chat({ messages: question }));
        assert.equal(error.kind, 'context_too_long');
        assert.match(error.message, /longer than model .* accepts \(400: .*\): send a shorter text$/);
        assert.equal(chatRequests(fake).length, 1);
      });
    }
  });
}

for (const pc of providerCases.filter((c) => c.name !== 'ollama')) {
  describe(`${pc.name} provider: API key`, () => {
    it('reports a rejected key without retrying, and never shows the key', async () => {
      const fake = await pc.startFake();
      try {
        const provider = providerFor(pc.config(fake.url, { apiKey: 'sk-wrong-secret-value' }));
        const error = await failure(provider.chat({ messages: question }));
        assert.equal(error.kind, 'auth');
        const variable = pc.name === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
        assert.equal(error.message, `${pc.label(fake.url)} rejected the API key (401): check ${variable}`);
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
}

describe('openai provider: Ollama behind its OpenAI-compatible API', () => {
  it('is ready when /v1/models lists the model with a :latest tag (as Ollama does)', async () => {
    const pc = providerCase('openai');
    const fake = await pc.startFake({ models: ['mcp-stack-tiny:latest'] });
    try {
      assert.deepEqual(await providerFor(pc.config(fake.url, { model: 'mcp-stack-tiny' })).health(), { ok: true });
      const other = await providerFor(pc.config(fake.url, { model: 'mcp-stack' })).health();
      assert.equal(other.ok, false, 'only the :latest tag of the same name counts');
    } finally {
      await fake.close();
    }
  });
});

describe('anthropic provider: Messages API specifics', () => {
  const pc = providerCase('anthropic');
  let fake: FakeServer;
  before(async () => {
    fake = await pc.startFake();
  });
  after(() => fake.close());

  it('sends the system prompt as the top-level field, max_tokens from ANTHROPIC_MAX_TOKENS, and the API version', async () => {
    fake.requests.length = 0;
    const result = await providerFor(pc.config(fake.url)).chat({
      messages: [{ role: 'system', content: 'Answer briefly.' }, ...question],
    });
    assert.equal(result.text, 'This is the test server answering: Why is the sky blue?');
    const [request] = chatRequests(fake);
    const body = request?.body as { system?: unknown; messages: { role: string }[]; max_tokens: number };
    assert.equal(body.system, 'Answer briefly.');
    assert.deepEqual(
      body.messages.map((m) => m.role),
      ['user'],
    );
    assert.equal(body.max_tokens, 1024);
    assert.match(String(request?.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/);
  });

  it('stops at ANTHROPIC_MAX_TOKENS (stop_reason max_tokens) and returns what was written', async () => {
    const result = await providerFor(pc.config(fake.url, { maxTokens: 3 })).chat({ messages: question });
    assert.equal(result.text, 'This is the');
  });

  it('retries an overloaded API (529), and names the overload when it persists', async () => {
    fake.requests.length = 0;
    fake.setFault({ kind: 'server-error', times: 1, status: 529 });
    const ok = await providerFor(pc.config(fake.url)).chat({ messages: question });
    assert.match(ok.text, /sky blue/);
    assert.deepEqual(
      chatRequests(fake).map((r) => r.status),
      [529, 200],
    );

    fake.requests.length = 0;
    fake.setFault({ kind: 'server-error', times: 5, status: 529 });
    const error = await failure(providerFor(pc.config(fake.url, { maxRetries: 1 })).chat({ messages: question }));
    assert.equal(error.kind, 'upstream');
    assert.equal(
      error.message,
      `Anthropic API at ${fake.url} is overloaded (529): try again in a moment (gave up after 2 attempts)`,
    );
    fake.setFault({ kind: 'none' });
  });

  it('names an overload reported inside the stream after text as such', async () => {
    fake.setFault({ kind: 'stream-error', afterTokens: 1 });
    const error = await failure(providerFor(pc.config(fake.url)).chat({ messages: question }));
    assert.equal(
      error.message,
      `Anthropic API at ${fake.url} is overloaded (overloaded_error) mid-stream: try again in a moment`,
    );
    fake.setFault({ kind: 'none' });
  });

  it('reads no credentials or base URL of its own from the environment', async () => {
    // The SDK would fall back to these variables; the service decides everything in its config.
    const saved = { base: process.env.ANTHROPIC_BASE_URL, token: process.env.ANTHROPIC_AUTH_TOKEN };
    process.env.ANTHROPIC_BASE_URL = 'http://127.0.0.1:9';
    process.env.ANTHROPIC_AUTH_TOKEN = 'sk-ant-from-env';
    try {
      fake.requests.length = 0;
      const provider = providerFor(pc.config(fake.url));
      await provider.chat({ messages: question });
      assert.equal(chatRequests(fake)[0]?.authorization, `Bearer ${TEST_ANTHROPIC_KEY}`);
    } finally {
      for (const [name, value] of [
        ['ANTHROPIC_BASE_URL', saved.base],
        ['ANTHROPIC_AUTH_TOKEN', saved.token],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('provider loading', () => {
  // The hosted providers' SDKs cost ~0.6 s of CPU to load: the service must listen (and pass its health check)
  // without them, and never load a provider it was not configured for.
  it('imports only the configured provider, and only on first use', async () => {
    const port = await closedPort();
    const script = `
      import { registerHooks } from 'node:module';
      const seen = new Set();
      registerHooks({ resolve(specifier, context, next) { seen.add(specifier); return next(specifier, context); } });
      const { createLlmProvider } = await import(${JSON.stringify(new URL('../src/llm/index.ts', import.meta.url).href)});
      const { readLlmConfig } = await import(${JSON.stringify(new URL('../src/config/llm.ts', import.meta.url).href)});
      const { pino } = await import('pino');
      const loaded = () => ['openai', '@anthropic-ai/sdk', 'ollama'].filter((m) => seen.has(m)).join(',') || 'none';
      const problems = [];
      const config = readLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'x', OPENAI_BASE_URL: 'http://127.0.0.1:${port}/v1', LLM_MAX_RETRIES: '0' }, problems);
      if (!config) throw new Error(problems.join('; '));
      const provider = createLlmProvider(config, pino({ level: 'silent' }));
      console.log('created: ' + loaded());
      await provider.health();
      console.log('used: ' + loaded());
    `;
    const { execFile } = await import('node:child_process');
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { cwd: import.meta.dirname },
        (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    assert.match(out, /^created: none$/m, out);
    assert.match(out, /^used: openai$/m, out);
  });
});
