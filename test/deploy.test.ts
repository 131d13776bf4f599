/**
 * Production as docs/deployment.md tells a new user to deploy it, then updated the way it tells them to update it.
 *
 * 1. A fresh clone of this repository (plus the working tree's uncommitted changes), and in it exactly the shell
 *    blocks of docs/deployment.md marked `deploy-sequence`, in order: .env, secrets, a TLS_MODE=file certificate for
 *    DOMAIN, `make build`, `make deploy` (which runs `make deploy-check` first), `make smoke`. Only the block of the
 *    user's own values differs (a *.localhost name, loopback, free ports), plus a project name and image repository
 *    unique to this run, given as environment variables (which win over .env, as documented).
 * 2. Then, under constant load through Traefik (2026-07-28 tools/call requests, and an open legacy SSE stream):
 *    `make deploy IMAGE_TAG=<new tag>` must complete with 0 failed calls, and `make deploy IMAGE_TAG=<image whose
 *    health check fails>` must fail and leave the old replicas serving.
 * The LLM is not needed (server_info does not call the model), so OPENAI_BASE_URL points nowhere.
 */

import assert from 'node:assert/strict';
import { randomBytes, X509Certificate } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { connect as tlsConnect } from 'node:tls';
import { imageFor } from '@mcp-stack/test-support/pins';
import {
  composeContainers,
  docker,
  requireDockerEngine,
  run,
  runOk,
  saveArtifact,
  uniqueName,
} from './helpers/docker.ts';
import { type ConnectedV1, type ConnectedV2, connectLegacySse, connectV2 } from './helpers/mcp-clients.ts';
import { repoRoot } from './helpers/paths.ts';
import { createLocalTlsClient, createPlainClient, type LocalTlsClient } from './helpers/tls.ts';

const domain = 'prod.localhost';
const project = uniqueName('mcpit-deploy');
const imageRepo = `mcp-stack-test/${project}`;
const firstTag = 'v1';
let dir = '';
let httpPort = 0;
let httpsPort = 0;
let baseUrl = '';
let token = '';
let tls: LocalTlsClient;
const plain = createPlainClient();
let sequenceOutput = '';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The shell blocks docs/deployment.md marks for this test: the user's values, then the steps. */
async function documentedSequence(): Promise<{ values: string; steps: string[] }> {
  const doc = await readFile(join(repoRoot, 'docs', 'deployment.md'), 'utf8');
  const blocks = [...doc.matchAll(/<!-- deploy-sequence(:values)? -->\n```sh\n([\s\S]*?)```/g)];
  const values = blocks.find((b) => b[1] === ':values');
  const steps = blocks.filter((b) => !b[1]).map((b) => b[2] ?? '');
  assert.ok(values?.[2] && steps.length >= 4, 'docs/deployment.md lost its deploy-sequence blocks');
  return { values: values[2], steps };
}

/** The environment of every command: the deployment's own, as a user's shell would have it. */
function shellEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    OPENAI_API_KEY: `sk-test-${randomBytes(12).toString('hex')}`,
    COMPOSE_PROJECT_NAME: project,
    MCP_IMAGE: imageRepo,
    // Seconds, not the production defaults' minutes, for a broken image to be given up on.
    HEALTH_TIMEOUT: '60',
    // Every load caller of this test comes from the host's one address, which the per-client rate limit (600 a
    // minute) would count as one client during a minute-long update; the limit itself is tested elsewhere.
    MCP_RATE_LIMIT_PER_MINUTE: '0',
    // The images this machine has (CI exports its offline builds' names; a real host pulls the pinned releases).
    NODE_IMAGE: imageFor('NODE_IMAGE'),
    TRAEFIK_IMAGE: imageFor('TRAEFIK_IMAGE'),
    SOCKET_PROXY_IMAGE: imageFor('SOCKET_PROXY_IMAGE'),
  };
}

function sh(script: string, timeoutMs = 900_000) {
  // stdin from /dev/null: with a socket as stdin (how Node passes pipes), bash assumes rshd and reads bashrc.
  return run('bash', ['-c', `exec </dev/null\nset -euo pipefail\n${script}`], { cwd: dir, env: shellEnv(), timeoutMs });
}

async function mcpContainers(): Promise<{ id: string; image: string; health: string }[]> {
  const ids = await composeContainers(project, { service: 'mcp' });
  if (ids.length === 0) return [];
  const { stdout: inspected } = await docker(['inspect', ...ids]);
  return (
    JSON.parse(inspected) as { Id: string; Config: { Image: string }; State: { Health?: { Status: string } } }[]
  ).map((c) => ({
    id: c.Id,
    image: c.Config.Image,
    health: c.State.Health?.Status ?? 'none',
  }));
}

/** The certificate Traefik presents for DOMAIN right now. */
function servedCertificate(): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', port: httpsPort, servername: domain, rejectUnauthorized: false },
      () => {
        const cert = socket.getPeerX509Certificate();
        socket.end();
        if (cert) resolve(cert);
        else reject(new Error('no certificate'));
      },
    );
    socket.on('error', reject);
  });
}

/**
 * Constant load for the duration of an update: 2026-07-28 tools/call requests back to back, and a legacy SSE
 * client whose stream stays open (reopened when a draining replica ends it) and that calls a tool every 500 ms.
 */
class Load {
  modernOk = 0;
  modernFailed: string[] = [];
  legacyOk = 0;
  legacyFailed: string[] = [];
  legacyStreamsEnded = 0;
  #stop = false;
  #loops: Promise<void>[] = [];
  #lastLegacyFailure = 0;

  start(target: { baseUrl: string; fetch: typeof fetch; token: string }): void {
    this.#loops.push(this.#modern(target), this.#legacy(target));
  }

  async #modern(target: { baseUrl: string; fetch: typeof fetch; token: string }): Promise<void> {
    const connected: ConnectedV2 = await connectV2(target, { pin: '2026-07-28' });
    try {
      while (!this.#stop) {
        try {
          const result = await connected.client.callTool({ name: 'server_info', arguments: {} });
          if (result.isError) this.modernFailed.push(JSON.stringify(result.content));
          else this.modernOk++;
        } catch (error) {
          this.modernFailed.push(`${new Date().toISOString()} ${String(error)}`);
        }
        // About 10 calls a second: constant, without saturating a shared 2-core machine.
        await delay(100);
      }
    } finally {
      await connected.close().catch(() => undefined);
    }
  }

  async #legacy(target: { baseUrl: string; fetch: typeof fetch; token: string }): Promise<void> {
    let connected: ConnectedV1 | undefined;
    let open = false;
    while (!this.#stop) {
      // A session the client no longer reaches (404) is over: start a new one, as a client would.
      if (open && this.legacyFailed.at(-1)?.includes(' 404') && this.#lastLegacyFailure !== this.legacyFailed.length) {
        this.#lastLegacyFailure = this.legacyFailed.length;
        await connected?.close().catch(() => undefined);
        open = false;
      }
      if (!open) {
        try {
          connected = await connectLegacySse(target);
          open = true;
          connected.client.onclose = () => {
            open = false;
            if (!this.#stop) this.legacyStreamsEnded++;
          };
        } catch (error) {
          this.legacyFailed.push(`${new Date().toISOString()} connect: ${String(error)}`);
          await delay(500);
          continue;
        }
      }
      try {
        await connected!.client.callTool({ name: 'server_info', arguments: {} });
        this.legacyOk++;
      } catch (error) {
        this.legacyFailed.push(`${new Date().toISOString()} ${String(error)}`);
      }
      await delay(500);
    }
    await connected?.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.#stop = true;
    await Promise.all(this.#loops);
  }

  summary(): string {
    return `modern ${this.modernOk} ok / ${this.modernFailed.length} failed, legacy ${this.legacyOk} ok / ${this.legacyFailed.length} failed, legacy streams ended by the server: ${this.legacyStreamsEnded}\n${[...this.modernFailed, ...this.legacyFailed].slice(0, 10).join('\n')}`;
  }
}

describe('production as documented, and updates without downtime', { concurrency: false }, () => {
  before(async () => {
    await requireDockerEngine();
    // A fresh directory: a clone of HEAD, with the working tree's changes on top (what a developer tests).
    dir = await mkdtemp(join(tmpdir(), `${project}-`));
    await runOk('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, dir]);
    const changed = await runOk('git', ['ls-files', '--modified', '--others', '--exclude-standard', '-z'], {
      cwd: repoRoot,
    });
    for (const file of changed.stdout.split('\0').filter(Boolean)) {
      await cp(join(repoRoot, file), join(dir, file), { recursive: true }).catch(
        async (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT')
            await rm(join(dir, file), { force: true }); // deleted in the working tree
          else throw error;
        },
      );
    }

    [httpPort, httpsPort] = [await freePort(), await freePort()];
    const { values, steps } = await documentedSequence();
    const testValues = [
      `DOMAIN=${domain}`,
      'BIND_ADDRESS=127.0.0.1',
      `HTTP_PORT=${httpPort}`,
      `HTTPS_PORT=${httpsPort}`,
      'OPENAI_BASE_URL=http://127.0.0.1:9/v1',
      'OPENAI_MODEL=none',
      `IMAGE_TAG=${firstTag}`,
    ].join('\n');
    const documentedNames = [...values.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).sort();
    assert.deepEqual(
      documentedNames,
      [...testValues.matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]).sort(),
      'the test sets exactly the documented values',
    );
    const result = await sh([testValues, ...steps].join('\n'));
    sequenceOutput = result.stdout + result.stderr;
    await saveArtifact(`${project}-sequence.log`, sequenceOutput);
    assert.equal(
      result.code,
      0,
      `the documented sequence failed (exit ${result.code}):\n${sequenceOutput.slice(-4000)}`,
    );

    token = (await readFile(join(dir, 'secrets', 'mcp_auth_token'), 'utf8')).trim();
    tls = createLocalTlsClient(await readFile(join(dir, 'certs-prod', 'ca.crt')));
    baseUrl = `https://${domain}:${httpsPort}`;
  });

  after(async () => {
    await tls?.close();
    await plain.close();
    if (dir) {
      const logs = await sh('docker compose -f compose.prod.yaml logs --no-color --timestamps', 120_000).catch(
        () => undefined,
      );
      if (logs) await saveArtifact(`${project}-logs.log`, logs.stdout + logs.stderr);
      await sh('docker compose -f compose.prod.yaml down --volumes --remove-orphans --timeout 10', 180_000).catch(
        () => undefined,
      );
      const images = await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', imageRepo]);
      for (const ref of images.stdout.split('\n').filter(Boolean)) await run('docker', ['image', 'rm', '-f', ref]);
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the documented sequence ran every step: image built, preflight passed, stack up, smoke test passed', async () => {
    assert.match(sequenceOutput, new RegExp(`build: ${imageRepo}:${firstTag} is sha256:[0-9a-f]{64}`));
    assert.match(
      sequenceOutput,
      new RegExp(
        `deploy-check: ok: project ${project}, image ${imageRepo}:${firstTag}, https://${domain} \\(TLS file\\)`,
      ),
    );
    assert.match(sequenceOutput, /smoke: ok {3}https:\/\/prod\.localhost:\d+\/healthz -> 200/);
    assert.match(sequenceOutput, /smoke: ok {3}https:\/\/prod\.localhost:\d+\/sse -> event: endpoint/);
    const replicas = await mcpContainers();
    assert.equal(replicas.length, 2, JSON.stringify(replicas));
    assert.ok(
      replicas.every((r) => r.image === `${imageRepo}:${firstTag}` && r.health === 'healthy'),
      JSON.stringify(replicas),
    );
    // TLS_MODE=file: the one-shot ACME volume service is not part of the project at all.
    const services = await composeContainers(project, { all: true, format: '{{.Label "com.docker.compose.service"}}' });
    assert.ok(!services.includes('acme-storage'), services.join(', '));
  });

  test('on non-default ports, the redirect and the advertised URLs keep the port', async () => {
    const redirect = await plain.fetch(`http://${domain}:${httpPort}/healthz`, { redirect: 'manual' });
    assert.ok([301, 302, 307, 308].includes(redirect.status), `status ${redirect.status}`);
    assert.equal(redirect.headers.get('location'), `https://${domain}:${httpsPort}/healthz`);
    const unauthorized = await tls.fetch(`${baseUrl}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    await unauthorized.body?.cancel();
    assert.equal(unauthorized.status, 401);
    assert.match(
      unauthorized.headers.get('www-authenticate') ?? '',
      new RegExp(`resource_metadata="https://${domain}:${httpsPort}/\\.well-known/oauth-protected-resource`),
    );
    const metadata = await tls.fetch(`${baseUrl}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(metadata.status, 200);
    assert.equal(((await metadata.json()) as { resource: string }).resource, `https://${domain}:${httpsPort}/mcp`);
  });

  test('a replaced certificate is served without restarting Traefik', async () => {
    const [traefikId] = await composeContainers(project, { service: 'traefik' });
    assert.ok(traefikId, 'Traefik runs');
    const startedAt = (await docker(['inspect', '--format', '{{.State.StartedAt}}', traefikId])).stdout;
    const before = await servedCertificate();
    assert.ok(before.checkHost(domain), `served certificate is for ${before.subjectAltName}`);
    // The documented renewal: the recipe again (it replaces the files and tells Traefik).
    const renew = await sh(`FORCE=1 scripts/certs.sh --domain ${domain} certs-prod`);
    assert.equal(renew.code, 0, renew.stderr);
    const renewed = new X509Certificate(await readFile(join(dir, 'certs-prod', 'tls.crt')));
    assert.notEqual(renewed.serialNumber, before.serialNumber);
    let served = before;
    for (let i = 0; i < 40 && served.serialNumber !== renewed.serialNumber; i++) {
      await delay(250);
      served = await servedCertificate();
    }
    assert.equal(served.serialNumber, renewed.serialNumber, 'Traefik still serves the old certificate');
    assert.equal(
      (await docker(['inspect', '--format', '{{.State.StartedAt}}', traefikId])).stdout,
      startedAt,
      'Traefik was restarted',
    );
  });

  test('make deploy IMAGE_TAG=<new tag> under load: replicas replaced one at a time, 0 failed calls', async () => {
    const newTag = 'v2';
    await docker(['tag', `${imageRepo}:${firstTag}`, `${imageRepo}:${newTag}`]);
    const oldIds = (await mcpContainers()).map((r) => r.id);
    const load = new Load();
    load.start({ baseUrl, fetch: tls.fetch, token });
    await delay(2000);
    const update = await sh(`make deploy IMAGE_TAG=${newTag}`);
    await delay(2000);
    await load.stop();
    await saveArtifact(`${project}-update.log`, `${update.stdout}${update.stderr}\n${load.summary()}`);
    assert.equal(update.code, 0, `${update.stderr.slice(-3000)}`);
    assert.match(update.stderr, /is healthy and in Traefik's pool/);
    assert.match(update.stderr, /is out of the pool; stopping it/);
    const replicas = await mcpContainers();
    assert.equal(replicas.length, 2, JSON.stringify(replicas));
    assert.ok(
      replicas.every((r) => r.image === `${imageRepo}:${newTag}` && !oldIds.includes(r.id)),
      JSON.stringify(replicas),
    );
    assert.ok(load.modernOk > 100, load.summary());
    assert.deepEqual(load.modernFailed, [], load.summary());
    // Legacy SSE is tied to one replica by client-IP affinity: a call may only fail because its session stayed
    // on a replica the client no longer reaches (404, documented), never with a 5xx; the stream then reopens.
    assert.ok(
      load.legacyFailed.every((f) => /\b404\b/.test(f)),
      load.summary(),
    );
    assert.ok(load.legacyOk > 5, load.summary());
    const legacy = await connectLegacySse({ baseUrl, fetch: tls.fetch, token });
    try {
      await legacy.client.callTool({ name: 'server_info', arguments: {} });
    } finally {
      await legacy.close();
    }
  });

  test('make deploy with an image that fails its health check stops, and the old replicas keep serving', async () => {
    const running = await mcpContainers();
    // The service image, but its process never answers /healthz.
    const broken = `${imageRepo}:broken`;
    await runOk('docker', ['build', '-q', '-t', broken, '-'], {
      input: `FROM ${running[0]!.image}\nCMD ["node", "-e", "setInterval(() => {}, 1 << 30)"]\n`,
    });
    const load = new Load();
    load.start({ baseUrl, fetch: tls.fetch, token });
    const update = await sh('make deploy IMAGE_TAG=broken');
    await delay(1000);
    await load.stop();
    await saveArtifact(`${project}-broken-update.log`, `${update.stdout}${update.stderr}\n${load.summary()}`);
    assert.notEqual(update.code, 0, 'make deploy succeeded with a broken image');
    assert.match(update.stderr, /update stopped: the old replicas keep serving/);
    const after = await mcpContainers();
    assert.deepEqual(after.map((r) => r.id).sort(), running.map((r) => r.id).sort(), 'the replicas changed');
    assert.ok(
      after.every((r) => r.health === 'healthy'),
      JSON.stringify(after),
    );
    assert.deepEqual(load.modernFailed, [], load.summary());
    assert.ok(load.modernOk > 20, load.summary());
  });
});
