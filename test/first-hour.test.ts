/**
 * A new user's loop, on a copy of the working tree (the test edits sources; the repository stays untouched):
 * `LLM_PROVIDER=openai INSPECTOR=false make dev` starts the stack without Ollama, without a model pull and
 * without the Inspector (compose profiles); `make watch` runs; an edit to a tool file (not main.ts) answers through
 * Traefik within RELOAD_DEADLINE_S (hot reload of any source file: node --watch-path=src in the dev image).
 *
 * The OpenAI-compatible endpoint is deliberately unreachable: nothing here calls the model.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { composeContainers, requireDockerEngine, run, runOk, saveArtifact, uniqueName } from './helpers/docker.ts';
import { repoRoot } from './helpers/paths.ts';
import { waitForRoute } from './helpers/stack-checks.ts';
import { createLocalTlsClient, type LocalTlsClient } from './helpers/tls.ts';

/** The time we promise in docs/development.md for an edit to answer (sync + restart + Traefik). */
const RELOAD_DEADLINE_S = 30;

const project = uniqueName('mcpit-first');
let tree = '';
let tls: LocalTlsClient | undefined;
let watch: ChildProcess | undefined;
let watchLog = '';
let baseUrl = '';

/** The user's environment for make in the copy: only what a shared CI machine needs on top of their choices. */
const makeEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  COMPOSE_PROJECT_NAME: project,
  // Choices under test.
  LLM_PROVIDER: 'openai',
  INSPECTOR: 'false',
  OPENAI_API_KEY: 'unused',
  OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
  OPENAI_MODEL: 'not-called',
  // Shared machine: free ports chosen by Docker, no egress, our own dev image tag.
  HTTP_PORT: '',
  HTTPS_PORT: '',
  NETWORK_INTERNAL: 'true',
  MCP_DEV_IMAGE: `mcp-stack/mcp:${project}`,
  CERTS_TOOL: 'openssl',
});

const make = (args: string[], timeoutMs = 600_000) =>
  run('make', ['--no-print-directory', ...args], { cwd: tree, env: makeEnv(), timeoutMs });
const compose = (args: string[]) =>
  run('docker', ['compose', '-f', 'compose.yaml', ...args], { cwd: tree, env: makeEnv() });

async function toolDescription(name: string): Promise<string | undefined> {
  const res = await tls!.fetch(`${baseUrl}/api/tools`);
  if (!res.ok) {
    await res.body?.cancel();
    return undefined;
  }
  const body = (await res.json()) as
    | { tools?: { name: string; description?: string }[] }
    | { name: string; description?: string }[];
  const list = Array.isArray(body) ? body : (body.tools ?? []);
  return list.find((t) => t.name === name)?.description;
}

describe('first hour: make dev without Ollama, make watch, hot reload through Traefik', () => {
  before(async () => {
    await requireDockerEngine();
    tree = await mkdtemp(join(tmpdir(), `${project}-tree-`));
    // The working tree as git sees it (tracked and new files, nothing ignored: no node_modules, certs, .env).
    await runOk(
      'bash',
      ['-c', `git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C '${tree}'`],
      { cwd: repoRoot },
    );
    const dev = await make(['dev']);
    await saveArtifact(`${project}-make-dev.log`, dev.stdout + dev.stderr);
    assert.equal(dev.code, 0, `make dev failed:\n${dev.stdout.slice(-3000)}\n${dev.stderr.slice(-3000)}`);
    const port = (await compose(['port', 'traefik', '8443'])).stdout.trim().split(':').pop();
    baseUrl = `https://mcp.localhost:${port}`;
    tls = createLocalTlsClient(await readFile(join(tree, 'certs', 'ca.crt')));
    await waitForRoute(tls.fetch, `${baseUrl}/healthz`);
  });

  after(async () => {
    // make and the `docker compose watch` it runs, as Ctrl-C would stop them: the whole process group.
    if (watch?.pid && watch.exitCode === null) {
      const exited = new Promise((resolve) => watch!.once('exit', resolve));
      process.kill(-watch.pid, 'SIGINT');
      const stopped = await Promise.race([exited.then(() => true), delay(15_000).then(() => false)]);
      if (!stopped) process.kill(-watch.pid, 'SIGKILL');
    }
    if (watchLog) await saveArtifact(`${project}-make-watch.log`, watchLog).catch(() => undefined);
    if (tree) {
      const logs = await compose(['logs', '--no-color', '--timestamps']).catch(() => undefined);
      if (logs) await saveArtifact(`${project}-logs.log`, logs.stdout + logs.stderr).catch(() => undefined);
      await compose(['down', '--volumes', '--remove-orphans', '--timeout', '10']);
      await run('docker', ['image', 'rm', '-f', `mcp-stack/mcp:${project}`]);
      await rm(tree, { recursive: true, force: true });
    }
    await tls?.close();
  });

  test('LLM_PROVIDER=openai INSPECTOR=false make dev: no Ollama, no model pull, no Inspector', async () => {
    const services = (
      await composeContainers(project, { all: true, format: '{{.Label "com.docker.compose.service"}}' })
    ).sort();
    assert.deepEqual(services, ['mcp', 'socket-proxy', 'traefik']);
    const volumes = await runOk('docker', [
      'volume',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.compose.project=${project}`,
    ]);
    assert.equal(volumes.stdout.trim(), '', 'no model volume was created');
    const info = await tls!.fetch(`${baseUrl}/api/tools/server_info`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    assert.equal(info.status, 200);
    assert.equal(((await info.json()) as { provider: string }).provider, 'openai');
  });

  test(`make watch: an edited tool file answers through Traefik within ${RELOAD_DEADLINE_S} s`, async () => {
    assert.equal(
      await toolDescription('server_info'),
      'Returns the service version and the LLM provider and model it uses. Does not call the model.',
    );
    watch = spawn('make', ['--no-print-directory', 'watch'], {
      cwd: tree,
      env: makeEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    watch.stdout!.on('data', (c: Buffer) => (watchLog += c.toString()));
    watch.stderr!.on('data', (c: Buffer) => (watchLog += c.toString()));
    // compose prints this once it watches the paths.
    const watching = performance.now();
    while (!/watch enabled|Watch enabled|watching/i.test(watchLog)) {
      assert.ok(watch.exitCode === null, `make watch exited ${watch.exitCode}:\n${watchLog}`);
      assert.ok(performance.now() - watching < 120_000, `make watch did not start watching:\n${watchLog}`);
      await delay(200);
    }

    const file = join(tree, 'services', 'mcp', 'src', 'tools', 'server-info.ts');
    const marker = `Hot-reloaded ${project}.`;
    const source = await readFile(file, 'utf8');
    const edited = source.replace(
      "description: 'Returns the service version",
      `description: '${marker} Returns the service version`,
    );
    assert.notEqual(edited, source, 'the edit must change the file');
    const editedAt = performance.now();
    await writeFile(file, edited);

    let seen: string | undefined;
    while (performance.now() - editedAt < RELOAD_DEADLINE_S * 1000) {
      seen = await toolDescription('server_info').catch(() => undefined);
      if (seen?.startsWith(marker)) break;
      await delay(250);
    }
    const seconds = (performance.now() - editedAt) / 1000;
    assert.ok(
      seen?.startsWith(marker),
      `no new behaviour ${RELOAD_DEADLINE_S} s after the edit (last description: ${seen}); make watch said:\n${watchLog}`,
    );
    console.log(`hot reload: the edit answered through Traefik after ${seconds.toFixed(1)} s`);
  });
});
