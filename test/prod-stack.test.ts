/**
 * The production stack: compose.prod.yaml alone, the service image built from the real Dockerfile, and a test
 * env file with only what CI cannot have (test/env/prod.env): a local certificate instead of ACME, loopback
 * ephemeral ports, an internal network, and an OpenAI-compatible server container on that network (a real
 * engine: Ollama's /v1 API with the real SmolLM2-135M; the random-weight tiny model sometimes ends its answer
 * before its first token, which left nothing to stream).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { ComposeStack } from './helpers/compose.ts';
import { execIn, inspectContainer } from './helpers/docker.ts';
import { type OpenAiCompatibleServer, startOpenAiCompatibleServer } from './helpers/openai-server.ts';
import { assertSecretsAsFiles, startProdStack } from './helpers/prod-stack.ts';
import { askOverBothTransports } from './helpers/stack-checks.ts';
import { createPlainClient, type LocalTlsClient } from './helpers/tls.ts';

const token = randomBytes(24).toString('hex');
const apiKey = `sk-test-${randomBytes(16).toString('hex')}`;
const model = 'smollm2-135m';
let stack: ComposeStack;
let llm: OpenAiCompatibleServer;
let tls: LocalTlsClient;
let stop: (() => Promise<void>) | undefined;
const plain = createPlainClient();
let mcpUrl = '';
let httpPort = 0;

describe('prod stack (compose.prod.yaml alone) through Traefik with TLS', { concurrency: true }, () => {
  before(async () => {
    ({ stack, tls, llm, mcpUrl, httpPort, stop } = await startProdStack({
      prefix: 'mcpit-prod',
      token,
      apiKey,
      env: (llmName) => ({ OPENAI_BASE_URL: `http://${llmName}:11434/v1`, OPENAI_MODEL: model }),
      startLlm: startOpenAiCompatibleServer,
    }));
  });

  after(async () => {
    await stop?.();
    await plain.close();
  });

  test('has no Ollama service at all', async () => {
    const services = await stack.compose(['config', '--services']);
    assert.equal(services.code, 0, services.stderr);
    const names = services.stdout.split('\n').filter(Boolean);
    assert.ok(names.includes('mcp') && names.includes('traefik'), names.join(', '));
    assert.ok(!names.some((n) => n.startsWith('ollama')), `prod must not run Ollama: ${names.join(', ')}`);
    assert.deepEqual(await stack.containerIds('ollama'), []);
  });

  test('HTTP redirects to HTTPS, and HTTPS answers carry HSTS', async () => {
    const res = await plain.fetch(`http://mcp.localhost:${httpPort}/mcp`, { redirect: 'manual' });
    assert.ok([301, 302, 307, 308].includes(res.status), `status ${res.status}`);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(location.protocol, 'https:');
    assert.equal(location.hostname, 'mcp.localhost');
    const secure = await tls.fetch(`${mcpUrl}/healthz`);
    assert.match(secure.headers.get('strict-transport-security') ?? '', /max-age=\d+/);
  });

  test('requests without the token, or with a wrong one, get 401 with a Bearer challenge', async () => {
    const cases: [string, RequestInit][] = [
      ['/sse', { headers: { Accept: 'text/event-stream' } }],
      [
        '/mcp',
        {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
          body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
        },
      ],
      ['/api/tools', {}],
      ['/sse', { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token.slice(0, -4)}abcd` } }],
    ];
    for (const [path, init] of cases) {
      const res = await tls.fetch(`${mcpUrl}${path}`, init);
      assert.equal(res.status, 401, `${init.method ?? 'GET'} ${path}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /);
      await res.body?.cancel();
    }
    // Health stays open for probes.
    assert.equal((await tls.fetch(`${mcpUrl}/healthz`)).status, 200);
  });

  test('the keys arrive as secret files, never as environment variables', async () => {
    await assertSecretsAsFiles(stack, { keyVariable: 'OPENAI_API_KEY', apiKey, token });
  });

  test("each replica runs the image's health probe with production's timings, probed every 0.25 s at start", async () => {
    for (const id of await stack.containerIds('mcp')) {
      const probe = (await inspectContainer(id)).Config.Healthcheck;
      // The image's probe: /healthz, and unhealthy once `make deploy` marked the replica as leaving.
      assert.match(probe?.Test?.join(' ') ?? '', /\/tmp\/leaving.*\/healthz/);
      assert.equal(probe?.Interval, 5e9, "compose.prod.yaml's interval");
      assert.equal(probe?.StartInterval, 25e7, "the image's start interval: healthy right after listening");
    }
  });

  test('containers are non-root where they can be, read-only, with every capability dropped', async () => {
    for (const service of ['mcp', 'traefik', 'socket-proxy']) {
      const ids = await stack.containerIds(service);
      assert.ok(ids.length >= 1, `${service} runs`);
      for (const id of ids) {
        const state = await inspectContainer(id);
        assert.equal(state.HostConfig.ReadonlyRootfs, true, `${service}: read-only root filesystem`);
        assert.ok(
          state.HostConfig.CapDrop?.includes('ALL'),
          `${service}: cap_drop ALL (got ${state.HostConfig.CapDrop})`,
        );
        assert.ok(
          state.HostConfig.SecurityOpt?.some((o) => /no-new-privileges(:true)?$/.test(o)),
          `${service}: no-new-privileges`,
        );
        assert.equal(state.HostConfig.Privileged, false);
      }
    }
    // The service and the internet-facing Traefik never run as root. (The socket proxy must read the Docker
    // socket, whose group differs from host to host: it runs as root with no capabilities on an internal network.)
    for (const service of ['mcp', 'traefik']) {
      for (const id of await stack.containerIds(service)) {
        const uid = await execIn(id, ['id', '-u']);
        assert.equal(uid.code, 0, uid.stderr);
        assert.notEqual(uid.stdout.trim(), '0', `${service} runs as root`);
      }
    }
    for (const id of await stack.containerIds('mcp')) {
      const write = await execIn(id, ['node', '-e', "require('fs').writeFileSync('/app/x','x')"]);
      assert.notEqual(write.code, 0, 'mcp could write to its root filesystem');
    }
  });

  test('`ask` works through Traefik with the token, served by the OpenAI-compatible engine', async () => {
    const asked = await askOverBothTransports(
      { baseUrl: mcpUrl, fetch: tls.fetch, token },
      { modern: 'What is the capital of France?', legacy: 'What is the capital of Italy?' },
      { provider: 'openai', model },
    );
    for (const { outcome } of asked) assert.ok(outcome.answer.length > 0);
    // The engine itself served both calls on its OpenAI-compatible API (its own access log).
    const completions = await llm.chatCompletions();
    assert.ok(completions.filter((status) => status === 200).length >= 2, `engine log: ${JSON.stringify(completions)}`);
  });
});
