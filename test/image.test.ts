/**
 * The service image, built from the real services/mcp/Dockerfile and started hardened (read-only root, no
 * capabilities) with GenericContainer: SSE initialization for every client generation, health, the user it
 * runs as, and a clean `docker stop` while streams are open.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { initializeMessage, openRawSession } from '@mcp-stack/test-support/mcp-wire';
import { readSse, readUntil, within } from '@mcp-stack/test-support/sse';
import type { StartedTestContainer } from 'testcontainers';
import { Wait } from 'testcontainers';
import {
  docker,
  execIn,
  inspectContainer,
  requireDockerEngine,
  run,
  saveArtifact,
  uniqueName,
  waitForExit,
} from './helpers/docker.ts';
import { HardenedContainer } from './helpers/hardened-container.ts';
import { serviceImage } from './helpers/image.ts';
import { connectLegacySse, connectStreamableV1, connectV2 } from './helpers/mcp-clients.ts';
import { createPlainClient } from './helpers/tls.ts';

const token = randomBytes(24).toString('hex');
const graceSeconds = 5;
const http = createPlainClient();
let container: StartedTestContainer | undefined;
let baseUrl = '';

const auth = { Authorization: `Bearer ${token}` };

/** The 2025 initialize a Streamable HTTP client sends first. */
const initializeBody = (protocolVersion: string) => JSON.stringify(initializeMessage(protocolVersion));

describe('service image (GenericContainer from services/mcp/Dockerfile)', () => {
  before(async () => {
    await requireDockerEngine();
    const image = await serviceImage();
    container = await new HardenedContainer(image)
      .withName(uniqueName('mcp-image-test'))
      .withEnvironment({
        APP_ENV: 'production',
        MCP_AUTH_TOKEN: token,
        // No LLM is needed here; point at a closed port inside the container so nothing leaves the machine.
        LLM_PROVIDER: 'ollama',
        OLLAMA_BASE_URL: 'http://127.0.0.1:9',
        OLLAMA_MODEL: 'mcp-stack-tiny',
        SHUTDOWN_GRACE_SECONDS: String(graceSeconds),
        MCP_KEEPALIVE_SECONDS: '2',
      })
      .withExposedPorts(8000)
      // The image's own HEALTHCHECK (node fetch of /healthz): the container must report healthy by itself.
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(90_000)
      .start();
    baseUrl = `http://127.0.0.1:${container.getMappedPort(8000)}`;
  });

  after(async () => {
    if (container) {
      const logs = await run('docker', ['logs', container.getId()]);
      await saveArtifact('image-test-mcp.log', logs.stdout + logs.stderr);
      // Explicit teardown: Ryuk may be absent (no registry for its image).
      await run('docker', ['rm', '-f', '-v', container.getId()]);
    }
    await http.close();
  });

  test('reports healthy through its own HEALTHCHECK', async () => {
    const state = await inspectContainer(container!.getId());
    assert.equal(state.State.Health?.Status, 'healthy');
    const res = await http.fetch(`${baseUrl}/healthz`);
    assert.equal(res.status, 200);
  });

  test('its health probe fails while the replica is marked as leaving (/tmp/leaving, make deploy)', async () => {
    const id = container!.getId();
    const test = (await inspectContainer(id)).Config.Healthcheck?.Test ?? [];
    assert.equal(test[0], 'CMD', 'an exec-form probe');
    const probe = test.slice(1);
    assert.equal((await execIn(id, probe)).code, 0, 'healthy before');
    const mark = await execIn(id, ['node', '-e', "require('fs').writeFileSync('/tmp/leaving', '')"]);
    assert.equal(mark.code, 0, mark.stderr);
    try {
      assert.notEqual((await execIn(id, probe)).code, 0, 'the probe passed on a replica marked as leaving');
    } finally {
      await execIn(id, ['rm', '-f', '/tmp/leaving']);
    }
    assert.equal((await execIn(id, probe)).code, 0, 'healthy again once unmarked');
  });

  test('runs as a non-root user on a read-only root filesystem with no capabilities', async () => {
    const id = container!.getId();
    const state = await inspectContainer(id);
    assert.equal(state.HostConfig.ReadonlyRootfs, true);
    assert.notEqual(state.Config.User, '', 'the image must name its user (USER in the Dockerfile)');
    assert.notEqual(state.Config.User, 'root');
    const uid = await execIn(id, ['id', '-u']);
    assert.equal(uid.code, 0, uid.stderr);
    assert.notEqual(uid.stdout.trim(), '0');
    // The service's own code cannot be rewritten, and nothing else on / either.
    const write = await execIn(id, ['node', '-e', "require('fs').writeFileSync('/app/pwned', 'x')"]);
    assert.notEqual(write.code, 0, 'writing under /app must fail');
    assert.match(write.stderr, /EROFS|read-only|EACCES/);
    // PID 1 must be the service (or an init forwarding signals), not a shell that swallows SIGTERM.
    const pid1 = await execIn(id, ['cat', '/proc/1/cmdline']);
    assert.doesNotMatch(pid1.stdout.replaceAll('\0', ' '), /^(\/bin\/)?(ba)?sh /);
  });

  test('GET /sse delivers `event: endpoint` as its first event, while the stream stays open', async () => {
    const res = await http.fetch(`${baseUrl}/sse`, { headers: { ...auth, Accept: 'text/event-stream' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const sse = readSse(res.body!);
    try {
      const first = await within(15_000, 'first SSE event on /sse', sse.nextEvent());
      assert.ok(first, 'the stream ended without any event');
      assert.equal(first.event, 'endpoint');
      assert.match(first.data, /^\/messages\?sessionId=[\w-]+$/);
      assert.equal(sse.ended, false, 'the endpoint event must arrive on a live stream, not with its end');
    } finally {
      await sse.cancel();
    }
  });

  test('GET /sse without the token is refused with 401 and a WWW-Authenticate challenge', async () => {
    const res = await http.fetch(`${baseUrl}/sse`, { headers: { Accept: 'text/event-stream' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*resource_metadata=/);
    await res.body?.cancel();
  });

  test('a 2025 Streamable HTTP initialize is answered over an SSE response', async () => {
    const res = await http.fetch(`${baseUrl}/mcp`, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      body: initializeBody('2025-11-25'),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const sessionId = res.headers.get('mcp-session-id');
    assert.ok(sessionId, 'a 2025 session gets an Mcp-Session-Id');
    const sse = readSse(res.body!);
    // 2025-11-25 servers may send a priming event (an id, empty data) first, for resumption; the first event
    // that carries a message must be the initialize result.
    const message = await readUntil(sse, (item) => item.kind === 'event' && item.data !== '', 'the initialize result');
    assert.ok(message.kind === 'event');
    const reply = JSON.parse(message.data) as {
      id: number;
      result: { protocolVersion: string; serverInfo: { name: string } };
    };
    assert.equal(reply.id, 1);
    assert.equal(reply.result.protocolVersion, '2025-11-25');
    assert.ok(reply.result.serverInfo.name);
    await sse.cancel();
    const del = await http.fetch(`${baseUrl}/mcp`, {
      method: 'DELETE',
      headers: { ...auth, 'Mcp-Session-Id': sessionId, 'Mcp-Protocol-Version': '2025-11-25' },
    });
    assert.equal(del.status, 200);
  });

  test('SDK clients of every generation initialize, list tools and call one', async () => {
    const target = { baseUrl, fetch: http.fetch, token };
    const legacy = await connectLegacySse(target);
    const v1 = await connectStreamableV1(target);
    const modern = await connectV2(target, { pin: '2026-07-28' });
    const v2legacy = await connectV2(target, 'legacy');
    try {
      assert.equal(modern.negotiatedVersion, '2026-07-28');
      assert.equal(modern.era, 'modern');
      assert.match(v1.negotiatedVersion ?? '', /^2025-/);
      assert.match(v2legacy.negotiatedVersion ?? '', /^2025-/);
      assert.ok(legacy.negotiatedVersion, 'the legacy SSE client negotiated a version');
      for (const client of [legacy.client, v1.client]) {
        const { tools } = await client.listTools();
        assert.ok(
          tools.some((t) => t.name === 'server_info'),
          `tools: ${tools.map((t) => t.name).join(', ')}`,
        );
      }
      for (const client of [modern.client, v2legacy.client]) {
        const { tools } = await client.listTools();
        assert.ok(
          tools.some((t) => t.name === 'ask'),
          `tools: ${tools.map((t) => t.name).join(', ')}`,
        );
        const info = await client.callTool({ name: 'server_info', arguments: {} });
        assert.notEqual(info.isError, true, JSON.stringify(info));
      }
    } finally {
      await Promise.all([legacy.close(), v1.close(), modern.close(), v2legacy.close()]);
    }
  });

  // Last: it stops the container.
  test('`docker stop` with open streams exits 0 within the grace period and the streams end', async () => {
    const id = container!.getId();
    const legacyStream = await http.fetch(`${baseUrl}/sse`, { headers: { ...auth, Accept: 'text/event-stream' } });
    const legacy = readSse(legacyStream.body!);
    await within(15_000, 'endpoint event', legacy.nextEvent());

    // A 2025 session's standalone GET stream (server-to-client notifications).
    // Throws unless initialize is 200 with a session id and notifications/initialized is 202.
    const session = await openRawSession(`${baseUrl}/mcp`, { fetch: http.fetch, headers: auth });
    const sessionHeaders = { ...auth, ...session.headers };
    const getStream = await http.fetch(`${baseUrl}/mcp`, {
      headers: { ...sessionHeaders, Accept: 'text/event-stream' },
    });
    assert.equal(getStream.status, 200);
    const standalone = readSse(getStream.body!);
    // A keepalive (every 2 s here) proves the stream is open and flowing before we stop the container.
    await within(
      15_000,
      'keepalive on the GET /mcp stream',
      readUntil(standalone, (i) => i.kind === 'comment', 'a keepalive'),
    );

    // docker stop sends SIGTERM, then SIGKILL after -t seconds: exit code 0 means the service drained and left
    // on its own, before Docker had to kill it (137).
    const exited = waitForExit(id);
    await docker(['stop', '-t', String(graceSeconds + 10), id]);
    const exitCode = await exited;
    assert.equal(exitCode, 0, 'the service must exit 0 on SIGTERM');
    const state = await inspectContainer(id);
    assert.equal(state.State.ExitCode, 0);

    // Both clients see their stream end (not hang): the readers reach the end of the body.
    for (const [name, sse] of [
      ['/sse', legacy],
      ['GET /mcp', standalone],
    ] as const) {
      await within(
        15_000,
        `end of the ${name} stream`,
        (async () => {
          while ((await sse.next()) !== undefined);
        })(),
      );
      assert.equal(sse.ended, true, `${name} stream ended`);
    }
  });
});
