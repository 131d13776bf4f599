/**
 * The dev stack exactly as `make dev` starts it (compose.yaml), with only what CI cannot have replaced through
 * test/env/dev.env: ephemeral loopback ports, no egress, the offline SmolLM2-135M-Instruct model. Everything is reached through
 * Traefik on HTTPS as `mcp.localhost` / `inspector.localhost`, verifying the certificate against the local CA
 * that scripts/certs.sh made for this run (never insecure).
 *
 * The tests in this suite run concurrently: the 90-second idle-stream check overlaps the others.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { localhostOnlyLookup } from '@mcp-stack/test-support/localhost';
import { initializeMessage, MCP_ACCEPT, openRawSession } from '@mcp-stack/test-support/mcp-wire';
import { readSse, readUntil, type SseReader, within } from '@mcp-stack/test-support/sse';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Agent, fetch as undiciFetch } from 'undici';
import { ComposeStack } from './helpers/compose.ts';
import { runConformance } from './helpers/conformance.ts';
import { requireDockerEngine, run, runOk, uniqueName, waitForLogLine } from './helpers/docker.ts';
import { connectLegacySse, connectStreamableV1, connectV2 } from './helpers/mcp-clients.ts';
import { repoRoot, testEnvDir } from './helpers/paths.ts';
import { askWithProgress, askWithProgressV2, waitForRoute } from './helpers/stack-checks.ts';
import { createLocalTlsClient, createPlainClient, type LocalTlsClient } from './helpers/tls.ts';

const IDLE_SECONDS = 90;
const testPackage = JSON.parse(await readFile(join(repoRoot, 'test', 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
/** One question with one right answer, for the real model the stack runs (smollm2-135m, test/env/dev.env). */
const KNOWN_QUESTION = 'What is the capital of France?';
/** A question whose answer runs to a few sentences (up to the model's 128 tokens), long enough to stream. */
const LONG_QUESTION = 'Describe Paris in a few sentences.';

let stack: ComposeStack | undefined;
let tls: LocalTlsClient;
const plain = createPlainClient();
let caFile = '';
let mcpUrl = '';
let inspectorUrl = '';
let httpPort = 0;
let certDir = '';

/** `make client-config CLIENT=<client>`'s script against this stack; stdout must be the configuration alone. */
async function clientConfig(client: string): Promise<Record<string, unknown>> {
  const result = await run('bash', ['scripts/client-config.sh', client], {
    cwd: repoRoot,
    env: { ...process.env, COMPOSE_PROJECT_NAME: stack!.project, TLS_CERT_DIR: certDir },
  });
  assert.equal(result.code, 0, `client-config ${client} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function initializeRequest(protocolVersion: string) {
  return {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: MCP_ACCEPT, 'Accept-Encoding': 'gzip, br' },
    body: JSON.stringify(initializeMessage(protocolVersion)),
  };
}

/** Opens a 2025 session with raw requests and its standalone GET stream; returns the stream and the session. */
async function openSessionStream(): Promise<{ sse: SseReader; sessionId: string; headers: Record<string, string> }> {
  // Throws with the status and body unless initialize is 200 with a session id and initialized is 202.
  const { sessionId, headers } = await openRawSession(`${mcpUrl}/mcp`, {
    fetch: tls.fetch,
    headers: { 'Accept-Encoding': 'gzip, br' },
  });
  const get = await tls.fetch(`${mcpUrl}/mcp`, {
    headers: { ...headers, Accept: 'text/event-stream', 'Accept-Encoding': 'gzip, br' },
  });
  assert.equal(get.status, 200);
  assert.match(get.headers.get('content-type') ?? '', /^text\/event-stream/);
  assert.equal(
    get.headers.get('content-encoding'),
    null,
    'event streams must not be compressed (and so buffered) by Traefik',
  );
  return { sse: readSse(get.body!), sessionId, headers };
}

describe('dev stack (compose.yaml) through Traefik with TLS', { concurrency: true }, () => {
  before(async () => {
    await requireDockerEngine();
    const project = uniqueName('mcpit-dev');
    // The project's own certificate script, forced to its openssl CA so a developer's mkcert root stays out.
    certDir = await mkdtemp(join(tmpdir(), `${project}-certs-`));
    await runOk('bash', ['scripts/certs.sh', certDir], {
      cwd: repoRoot,
      env: { ...process.env, CERTS_TOOL: 'openssl' },
    });
    caFile = join(certDir, 'ca.crt');
    tls = createLocalTlsClient(await readFile(caFile));
    stack = new ComposeStack({
      project,
      files: ['compose.yaml'],
      envFile: join(testEnvDir, 'dev.env'),
      env: { TLS_CERT_DIR: certDir },
      build: true,
    });
    await stack.up();
    const traefik = stack.container('traefik');
    httpPort = traefik.getMappedPort(8000);
    const httpsPort = traefik.getMappedPort(8443);
    mcpUrl = `https://mcp.localhost:${httpsPort}`;
    inspectorUrl = `https://inspector.localhost:${httpsPort}`;
    await waitForRoute(tls.fetch, `${mcpUrl}/healthz`);
    await waitForRoute(tls.fetch, `${inspectorUrl}/`);
  });

  after(async () => {
    await stack?.down();
    await tls?.close();
    await plain.close();
  });

  test('HTTP on the web entrypoint redirects to HTTPS', async () => {
    const res = await plain.fetch(`http://mcp.localhost:${httpPort}/sse`, { redirect: 'manual' });
    assert.ok([301, 302, 307, 308].includes(res.status), `status ${res.status}`);
    const location = new URL(res.headers.get('location') ?? '');
    assert.equal(location.protocol, 'https:');
    assert.equal(location.hostname, 'mcp.localhost');
    assert.equal(location.pathname, '/sse');
  });

  test('the certificate verifies against the local CA, and a client without that CA refuses it', async () => {
    const ok = await tls.fetch(`${mcpUrl}/healthz`);
    assert.equal(ok.status, 200);
    // Same name and address, system trust store only: must fail, which proves the check above is real.
    const untrusting = new Agent({ connect: { lookup: localhostOnlyLookup } });
    try {
      await assert.rejects(undiciFetch(`${mcpUrl}/healthz`, { dispatcher: untrusting }), (error: Error) => {
        const code = String((error.cause as { code?: string } | undefined)?.code ?? '');
        assert.match(code, /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/, `unexpected error ${code}: ${error.message}`);
        return true;
      });
    } finally {
      await untrusting.close();
    }
  });

  test('GET /sse delivers `event: endpoint` first, on a live stream, uncompressed', async () => {
    const res = await tls.fetch(`${mcpUrl}/sse`, {
      headers: { Accept: 'text/event-stream', 'Accept-Encoding': 'gzip, br' },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('content-encoding'), null);
    const sse = readSse(res.body!);
    try {
      // The server never ends this stream by itself: if Traefik buffered it, this event would never arrive.
      const first = await within(20_000, 'first event on /sse through Traefik', sse.nextEvent());
      assert.ok(first);
      assert.equal(first.event, 'endpoint');
      assert.match(first.data, /^\/messages\?sessionId=[\w-]+$/);
      assert.equal(sse.ended, false);
    } finally {
      await sse.cancel();
    }
  });

  test('POST /mcp: a 2025 initialize is answered over an SSE response', async () => {
    const res = await tls.fetch(`${mcpUrl}/mcp`, initializeRequest('2025-06-18'));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(res.headers.get('content-encoding'), null);
    const sse = readSse(res.body!);
    const message = await readUntil(sse, (i) => i.kind === 'event' && i.data !== '', 'the initialize result');
    assert.ok(message.kind === 'event');
    const reply = JSON.parse(message.data) as { result: { protocolVersion: string } };
    assert.equal(reply.result.protocolVersion, '2025-06-18');
    await sse.cancel();
  });

  test('SDK clients of every generation initialize through Traefik', async () => {
    const target = { baseUrl: mcpUrl, fetch: tls.fetch };
    const clients = [
      await connectLegacySse(target),
      await connectStreamableV1(target),
      await connectV2(target, { pin: '2026-07-28' }),
      await connectV2(target, 'legacy'),
    ];
    try {
      assert.equal(clients[2]!.negotiatedVersion, '2026-07-28');
      assert.match(clients[1]!.negotiatedVersion ?? '', /^2025-/);
      assert.match(clients[3]!.negotiatedVersion ?? '', /^2025-/);
      for (const { client } of clients) {
        const { tools } = await client.listTools();
        assert.ok(tools.some((t) => t.name === 'ask'));
      }
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
  });

  test('GET /mcp stream: a keepalive arrives while the stream is open (no buffering)', async () => {
    const { sse } = await openSessionStream();
    try {
      const keepalive = await within(
        40_000,
        'keepalive on GET /mcp',
        readUntil(sse, (i) => i.kind === 'comment', 'a keepalive'),
      );
      assert.equal(keepalive.kind, 'comment');
      assert.equal(sse.ended, false);
    } finally {
      await sse.cancel();
    }
  });

  test(`idle streams stay open for ${IDLE_SECONDS} s through Traefik, keepalives pass, sessions still answer`, async () => {
    // Two idle streams side by side: legacy /sse and a 2025 session's GET /mcp.
    const legacyRes = await tls.fetch(`${mcpUrl}/sse`, { headers: { Accept: 'text/event-stream' } });
    const legacy = readSse(legacyRes.body!);
    const legacyOpened = performance.now();
    const endpoint = await within(20_000, 'endpoint event', legacy.nextEvent());
    assert.equal(endpoint?.event, 'endpoint');
    const session = await openSessionStream();
    const sessionOpened = performance.now();

    // Wait for the event that settles it: an item that arrives at least 90 s after the stream opened.
    const waitPast = (sse: SseReader, opened: number, name: string) =>
      within(
        (IDLE_SECONDS + 60) * 1000,
        `${name} after ${IDLE_SECONDS} s`,
        readUntil(sse, (i) => i.at - opened >= IDLE_SECONDS * 1000, `${IDLE_SECONDS} s on ${name}`),
      );
    await Promise.all([waitPast(legacy, legacyOpened, '/sse'), waitPast(session.sse, sessionOpened, 'GET /mcp')]);

    for (const [name, sse] of [
      ['/sse', legacy],
      ['GET /mcp', session.sse],
    ] as const) {
      assert.equal(sse.ended, false, `${name} is still open`);
      const keepalives = sse.seen.filter((i) => i.kind === 'comment').length;
      // The service sends one every 15 s (default); several must have passed Traefik in 90 s.
      assert.ok(keepalives >= 3, `${name}: only ${keepalives} keepalives in ${IDLE_SECONDS} s`);
    }

    // The legacy session still answers on its stream.
    const post = await tls.fetch(new URL(endpoint!.data, mcpUrl), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
    });
    assert.equal(post.status, 202);
    await post.body?.cancel();
    const pong = await within(
      20_000,
      'ping reply on /sse',
      readUntil(legacy, (i) => i.kind === 'event' && i.data.includes('"id":7'), 'the ping reply'),
    );
    assert.ok(pong.kind === 'event');
    assert.deepEqual(JSON.parse(pong.data), { jsonrpc: '2.0', id: 7, result: {} });

    // And the 2025 session too.
    const ping = await tls.fetch(`${mcpUrl}/mcp`, {
      method: 'POST',
      headers: {
        ...session.headers,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'ping' }),
    });
    assert.equal(ping.status, 200);
    const body = await ping.text();
    assert.match(body, /"id":8/);
    await legacy.cancel();
    await session.sse.cancel();
  });

  test('the official conformance suite passes through Traefik', async () => {
    const result = await runConformance(`${mcpUrl}/mcp`, {
      caFile,
      baseline: join(repoRoot, 'test', 'conformance', 'through-traefik.yaml'),
    });
    assert.equal(result.code, 0, `conformance failed:\n${result.output.slice(-4000)}`);
    // It really ran: every active scenario reported, all but the documented one clean.
    assert.ok(result.scenarios.size >= 25, `only ${result.scenarios.size} scenarios ran`);
    for (const [scenario, statuses] of result.scenarios) {
      if (scenario === 'dns-rebinding-protection') continue;
      assert.ok(
        statuses.length > 0 && statuses.every((s) => s === 'SUCCESS' || s === 'INFO'),
        `${scenario}: ${statuses.join(', ')}`,
      );
    }
  });

  test('Host and Origin allowlists hold through Traefik', async () => {
    const evilOrigin = await tls.fetch(`${mcpUrl}/mcp`, {
      ...initializeRequest('2025-11-25'),
      headers: { ...initializeRequest('2025-11-25').headers, Origin: 'http://evil.example.com' },
    });
    assert.equal(evilOrigin.status, 403);
    await evilOrigin.body?.cancel();
  });

  test('`ask` reaches Ollama: a real model answers a known question, streamed as progress over time (2026-07-28 and legacy SSE clients)', async () => {
    const target = { baseUrl: mcpUrl, fetch: tls.fetch };
    const ollama = stack!.container('ollama');
    const chatSeen = waitForLogLine(ollama, /\/api\/chat/);
    chatSeen.catch(() => undefined); // awaited below; a failure before that must not become an unhandled rejection
    const modern = await connectV2(target, { pin: '2026-07-28' });
    const legacy = await connectLegacySse(target);
    try {
      for (const [known, long] of [
        [await askWithProgressV2(modern.client, KNOWN_QUESTION), await askWithProgressV2(modern.client, LONG_QUESTION)],
        [await askWithProgress(legacy.client, KNOWN_QUESTION), await askWithProgress(legacy.client, LONG_QUESTION)],
      ] as const) {
        for (const outcome of [known, long]) {
          assert.equal(outcome.provider, 'ollama');
          assert.equal(outcome.model, 'smollm2-135m');
          // The progress messages are the answer as the model wrote it, in order, nothing invented. (The SDK
          // clients drop a notification that arrives in the same read as the result, so the tail may be missing.)
          assert.ok(
            outcome.answer.startsWith(outcome.progress.join('')),
            `progress ${JSON.stringify(outcome.progress)} vs answer ${JSON.stringify(outcome.answer)}`,
          );
        }
        // SmolLM2-135M-Instruct (temperature 0) knows this one: the answer arrived intact through the whole stack.
        assert.match(known.answer, /\bParis\b/, `answer: ${JSON.stringify(known.answer)}`);
        // A longer answer is streamed, not delivered in one burst at the end: several notifications (the service
        // batches at most one per 100 ms) spread over the time the model was writing.
        assert.ok(
          long.progress.length >= 3,
          `only ${long.progress.length} progress notifications: ${JSON.stringify(long.progress)}`,
        );
        const spreadMs = long.progressAt.at(-1)! - long.progressAt[0]!;
        assert.ok(spreadMs >= 300, `progress arrived within ${spreadMs.toFixed(0)} ms: a burst, not a stream`);
      }
      // Ollama itself served the chat (its own access log), not something in between.
      await within(10_000, 'Ollama access log for /api/chat', chatSeen);
    } finally {
      await modern.close();
      await legacy.close();
    }
  });

  test("make client-config: every client's configuration parses and has the shape that client documents", async () => {
    const url = `${mcpUrl}/mcp`;
    const ca = join(certDir, 'ca.crt');
    const desktop = (await clientConfig('claude-desktop')) as {
      mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
    };
    assert.deepEqual(Object.keys(desktop), ['mcpServers']);
    const bridge = desktop.mcpServers['mcp-stack']!;
    assert.equal(bridge.command, 'npx');
    assert.deepEqual(bridge.args, [
      '-y',
      `mcp-remote@${testPackage.dependencies['mcp-remote']}`,
      url,
      '--transport',
      'http-only',
    ]);
    assert.deepEqual(bridge.env, { NODE_EXTRA_CA_CERTS: ca }, 'no token in dev: no header, only the CA');

    assert.deepEqual(await clientConfig('claude-code'), { mcpServers: { 'mcp-stack': { type: 'http', url } } });
    assert.deepEqual(await clientConfig('cursor'), { mcpServers: { 'mcp-stack': { url } } });
    assert.deepEqual(await clientConfig('vscode'), { servers: { 'mcp-stack': { type: 'http', url } } });
    assert.deepEqual(await clientConfig('json'), {
      name: 'mcp-stack',
      transport: 'streamable-http',
      url,
      headers: {},
      caFile: ca,
    });

    // With a token (another stack, given by URL/TOKEN): the header in each client's own form, VS Code's as a prompt.
    const withToken = async (client: string) => {
      const result = await run('bash', ['scripts/client-config.sh', client], {
        cwd: repoRoot,
        env: { ...process.env, URL: 'https://mcp.example.com/mcp', TOKEN: 'tok-123', CACERT: ca },
      });
      assert.equal(result.code, 0, result.stderr);
      // biome-ignore lint/suspicious/noExplicitAny: each client's configuration has its own shape, asserted below
      return JSON.parse(result.stdout) as Record<string, any>;
    };
    const desktopAuth = (await withToken('claude-desktop')).mcpServers['mcp-stack'];
    // biome-ignore lint/suspicious/noTemplateCurlyInString: mcp-remote expands ${VAR} itself, from its env
    assert.deepEqual(desktopAuth.args.slice(-2), ['--header', 'Authorization:${MCP_STACK_AUTH_HEADER}']);
    assert.equal(desktopAuth.env.MCP_STACK_AUTH_HEADER, 'Bearer tok-123');
    assert.deepEqual((await withToken('claude-code')).mcpServers['mcp-stack'].headers, {
      Authorization: 'Bearer tok-123',
    });
    assert.deepEqual((await withToken('cursor')).mcpServers['mcp-stack'].headers, { Authorization: 'Bearer tok-123' });
    const vscode = await withToken('vscode');
    assert.deepEqual(vscode.inputs, [
      {
        type: 'promptString',
        id: 'mcp-stack-token',
        description: 'Bearer token of mcp-stack (MCP_AUTH_TOKEN)',
        password: true,
      },
    ]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: VS Code's own input variable syntax
    assert.deepEqual(vscode.servers['mcp-stack'].headers, { Authorization: 'Bearer ${input:mcp-stack-token}' });
    assert.ok(!JSON.stringify(vscode).includes('tok-123'), 'the VS Code file holds no secret');

    const unknown = await run('bash', ['scripts/client-config.sh', 'emacs'], { cwd: repoRoot });
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.stderr,
      /unknown CLIENT "emacs": use one of claude-desktop\|claude-code\|cursor\|vscode\|json/,
    );
  });

  test("Claude Desktop's configuration, run as printed (npx mcp-remote), lists the tools through Traefik TLS", async () => {
    const config = (await clientConfig('claude-desktop')) as {
      mcpServers: Record<string, { command: string; args: string[]; env: Record<string, string> }>;
    };
    const server = config.mcpServers['mcp-stack']!;
    const configDir = await mkdtemp(join(tmpdir(), 'mcp-remote-'));
    const transport = new StdioClientTransport({
      command: server.command,
      args: server.args,
      cwd: repoRoot, // npx finds the pinned mcp-remote in the workspace (no download)
      env: {
        ...(process.env as Record<string, string>),
        ...server.env,
        MCP_REMOTE_CONFIG_DIR: configDir,
        // Only what a user's OS does for them: *.localhost -> 127.0.0.1 (test-support/localhost-preload.ts).
        NODE_OPTIONS: `--import=${join(repoRoot, 'test-support', 'localhost-preload.ts')}`,
      },
      stderr: 'pipe',
    });
    let bridgeLog = '';
    transport.stderr?.on('data', (c: Buffer) => (bridgeLog += c.toString()));
    const client = new ClientV1({ name: 'claude-desktop-stand-in', version: '1.0.0' }, { capabilities: {} });
    try {
      await within(60_000, 'mcp-remote connects', client.connect(transport));
      const { tools } = await client.listTools();
      const names = tools.map((t) => t.name);
      for (const tool of ['ask', 'server_info', 'summarize'])
        assert.ok(names.includes(tool), `${tool} missing from ${names.join(', ')}`);
      const info = (await client.callTool({ name: 'server_info', arguments: {} })) as {
        structuredContent?: { provider: string };
      };
      assert.equal(info.structuredContent?.provider, 'ollama');
    } catch (error) {
      throw new Error(`${(error as Error).message}\nmcp-remote said:\n${bridgeLog.slice(-3000)}`);
    } finally {
      await client.close();
      await rm(configDir, { recursive: true, force: true });
    }
  });

  test('the Inspector answers at its host', async () => {
    const res = await tls.fetch(`${inspectorUrl}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    assert.match(html, /inspector/i);
  });
});
