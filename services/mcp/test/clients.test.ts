// Every client generation against one port, with the real SDK clients: connect, check the negotiated protocol
// version, list tools, call a tool that reports progress, close. The conformance fixture pack supplies the
// progress tool, so no LLM is needed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readSse, type SseEvent } from '@mcp-stack/test-support/sse';
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as StreamableV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  authHeaders,
  initializeBody,
  legacySseTransport,
  type RunningService,
  startService,
} from './helpers/start-service.ts';

const PROGRESS_TOOL = 'test_tool_with_progress';

interface ProgressEvent {
  progress: number;
  total?: number;
}

/** What every generation must do; `callWithProgress` hides the v1/v2 call signatures. */
async function exercise(
  listTools: () => Promise<{ tools: { name: string }[] }>,
  callWithProgress: (onprogress: (p: ProgressEvent) => void) => Promise<unknown>,
) {
  const { tools } = await listTools();
  assert.ok(
    tools.some((t) => t.name === PROGRESS_TOOL),
    `tools/list lacks ${PROGRESS_TOOL}: ${tools.map((t) => t.name).join(', ')}`,
  );
  const progress: ProgressEvent[] = [];
  const result = await callWithProgress((p) => progress.push(p));
  assert.equal(progress.length, 4, `expected 4 progress notifications, got ${JSON.stringify(progress)}`);
  assert.deepEqual(
    progress.map((p) => p.progress),
    [0, 33, 67, 100],
  );
  const content = (result as { content: { type: string; text: string }[] }).content;
  assert.equal(content[0]?.text, 'Progress tool completed 4 steps');
}

const progressArgs = { steps: 4, delayMs: 20 };

describe('one port serves every MCP client generation', () => {
  let svc: RunningService;
  const negotiated: Record<string, string | undefined> = {};

  before(async () => {
    svc = await startService({ MCP_CONFORMANCE_FIXTURES: 'true' });
  });
  after(async () => {
    // The record asked for by the issue: which version each generation ended up speaking.
    console.log(`negotiated protocol versions: ${JSON.stringify(negotiated)}`);
    const { code } = await svc.stop();
    assert.equal(code, 0);
  });

  const v2Client = (versionNegotiation?: { mode: 'auto' | { pin: string } }) =>
    new ClientV2({ name: 'v2-test', version: '1.0.0' }, versionNegotiation ? { versionNegotiation } : {});
  const v2Transport = () => new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } });

  for (const [label, mode] of [
    ['v2 client, versionNegotiation auto', { mode: 'auto' as const }],
    ['v2 client, versionNegotiation pinned to 2026-07-28', { mode: { pin: '2026-07-28' } }],
  ] as const) {
    it(`${label} speaks 2026-07-28 statelessly`, async (t) => {
      const client = v2Client(mode);
      const transport = v2Transport();
      await client.connect(transport);
      t.after(() => client.close());
      negotiated[label] = client.getNegotiatedProtocolVersion();
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      assert.equal(transport.sessionId, undefined, '2026-07-28 has no sessions');
      await exercise(
        () => client.listTools(),
        (onprogress) => client.callTool({ name: PROGRESS_TOOL, arguments: progressArgs }, { onprogress }),
      );
    });
  }

  it('v2 client with its default 2025 handshake gets a session', async (t) => {
    const client = v2Client();
    const transport = v2Transport();
    await client.connect(transport);
    t.after(() => client.close());
    negotiated['v2 client, default handshake'] = client.getNegotiatedProtocolVersion();
    assert.equal(client.getNegotiatedProtocolVersion(), '2025-11-25');
    assert.match(transport.sessionId ?? '', /^[0-9a-f-]{36}$/);
    await exercise(
      () => client.listTools(),
      (onprogress) => client.callTool({ name: PROGRESS_TOOL, arguments: progressArgs }, { onprogress }),
    );
    await transport.terminateSession();
  });

  it('v1 @modelcontextprotocol/sdk StreamableHTTP client gets a session', async (t) => {
    const client = new ClientV1({ name: 'v1-streamable-test', version: '1.0.0' });
    const transport = new StreamableV1(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } });
    await client.connect(transport);
    t.after(() => client.close());
    negotiated['v1 StreamableHTTP client'] = transport.protocolVersion;
    assert.equal(transport.protocolVersion, '2025-11-25');
    assert.ok(transport.sessionId, 'a 2025 client gets Mcp-Session-Id');
    await exercise(
      () => client.listTools(),
      (onprogress) => client.callTool({ name: PROGRESS_TOOL, arguments: progressArgs }, undefined, { onprogress }),
    );
    await transport.terminateSession();
  });

  it('v1 SSE client (HTTP+SSE, 2024-11-05 transport) works on /sse', async (t) => {
    const client = new ClientV1({ name: 'v1-sse-test', version: '1.0.0' });
    const transport = legacySseTransport(svc.baseUrl);
    // The SSE transport keeps the negotiated version to itself; observe it where the client hands it over.
    const setProtocolVersion = transport.setProtocolVersion.bind(transport);
    let version: string | undefined;
    transport.setProtocolVersion = (v: string) => {
      version = v;
      setProtocolVersion(v);
    };
    await client.connect(transport);
    t.after(() => client.close());
    // An SSE client left open would reconnect forever; close it whatever the assertions say.
    negotiated['v1 SSE client'] = version;
    assert.equal(version, '2025-11-25');
    await exercise(
      () => client.listTools(),
      (onprogress) => client.callTool({ name: PROGRESS_TOOL, arguments: progressArgs }, undefined, { onprogress }),
    );
  });

  it('a raw 2024-11-05 client over /sse negotiates 2024-11-05', async () => {
    const stream = await fetch(`${svc.baseUrl}/sse`, { headers: { ...authHeaders(), Accept: 'text/event-stream' } });
    assert.equal(stream.status, 200);
    const frames = readSse(stream.body!);
    const endpoint = (await frames.nextEvent()) as SseEvent;
    assert.equal(endpoint.event, 'endpoint');
    assert.match(endpoint.data ?? '', /^\/messages\?sessionId=/);
    const post = await fetch(new URL(endpoint.data!, svc.baseUrl), {
      method: 'POST',
      headers: { ...authHeaders(), 'Content-Type': 'application/json' },
      body: JSON.stringify(initializeBody('2024-11-05')),
    });
    assert.equal(post.status, 202);
    let answer: SseEvent | undefined;
    for await (const frame of frames)
      if (frame.kind === 'event' && frame.event === 'message') {
        answer = frame;
        break;
      }
    const message = JSON.parse(answer!.data!) as { result: { protocolVersion: string } };
    negotiated['raw 2024-11-05 client on /sse'] = message.result.protocolVersion;
    assert.equal(message.result.protocolVersion, '2024-11-05');
  });
});

describe('MCP_STATELESS=true (multi-replica)', () => {
  let svc: RunningService;
  before(async () => {
    svc = await startService({ MCP_CONFORMANCE_FIXTURES: 'true', MCP_STATELESS: 'true' });
  });
  after(async () => {
    await svc.stop();
  });

  it('serves a 2025 client without a session', async (t) => {
    const client = new ClientV2({ name: 'v2-stateless', version: '1.0.0' });
    const transport = new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } });
    await client.connect(transport);
    t.after(() => client.close());
    assert.equal(transport.sessionId, undefined);
    await exercise(
      () => client.listTools(),
      (onprogress) => client.callTool({ name: PROGRESS_TOOL, arguments: progressArgs }, { onprogress }),
    );
  });

  it('serves a 2026-07-28 client', async (t) => {
    const client = new ClientV2(
      { name: 'v2-stateless-modern', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(new StreamableV2(new URL(svc.mcpUrl), { requestInit: { headers: authHeaders() } }));
    t.after(() => client.close());
    assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
  });

  it('answers GET and DELETE with 405', async () => {
    for (const method of ['GET', 'DELETE']) {
      const res = await fetch(svc.mcpUrl, { method, headers: { ...authHeaders(), Accept: 'text/event-stream' } });
      assert.equal(res.status, 405, `${method} /mcp`);
    }
  });
});
