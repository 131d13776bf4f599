/**
 * The three generations of MCP clients our users run, built on the official SDK packages and pointed at a
 * URL through a fetch of our choosing (the TLS client that trusts only our local CA, or plain HTTP to a
 * container port). Each returns the connected client and the protocol version it negotiated.
 */
import { Client as ClientV2, StreamableHTTPClientTransport as StreamableV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport as SseV1 } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport as StreamableV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface ClientTarget {
  /** Base URL, e.g. `https://mcp.localhost:49153` or `http://127.0.0.1:49154`. */
  baseUrl: string;
  fetch: typeof globalThis.fetch;
  /** Bearer token, if the server wants one. */
  token?: string;
}

const clientInfo = { name: 'mcp-stack-integration-test', version: '0.1.0' };

function authHeaders(target: ClientTarget): Record<string, string> {
  return target.token ? { Authorization: `Bearer ${target.token}` } : {};
}

export interface ConnectedV1 {
  client: ClientV1;
  negotiatedVersion: string | undefined;
  close(): Promise<void>;
}

export interface ConnectedV2 {
  client: ClientV2;
  negotiatedVersion: string | undefined;
  era: string | undefined;
  close(): Promise<void>;
}

/** The SDK v1 transports keep the negotiated version private; record it as the client hands it over. */
function recordVersion(transport: { setProtocolVersion?: (v: string) => void }): () => string | undefined {
  let version: string | undefined;
  const original = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (v: string) => {
    version = v;
    original?.(v);
  };
  return () => version;
}

/** 2024-11-05 HTTP+SSE: `GET /sse` then `POST /messages` (SDK v1, still the most deployed client). */
export async function connectLegacySse(target: ClientTarget): Promise<ConnectedV1> {
  const transport = new SseV1(new URL('/sse', target.baseUrl), {
    fetch: target.fetch,
    requestInit: { headers: authHeaders(target) },
  });
  const version = recordVersion(transport);
  const client = new ClientV1(clientInfo, { capabilities: {} });
  await client.connect(transport);
  return { client, negotiatedVersion: version(), close: () => client.close() };
}

/** 2025 Streamable HTTP with a session (SDK v1). */
export async function connectStreamableV1(target: ClientTarget): Promise<ConnectedV1> {
  const transport = new StreamableV1(new URL('/mcp', target.baseUrl), {
    fetch: target.fetch,
    requestInit: { headers: authHeaders(target) },
  });
  const client = new ClientV1(clientInfo, { capabilities: {} });
  await client.connect(transport);
  return {
    client,
    negotiatedVersion: transport.protocolVersion,
    async close() {
      // A well-behaved 2025 client ends its session; the server frees it at once.
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/**
 * SDK v2 client. `pin: '2026-07-28'` is the stateless 2026 protocol (server/discover, no session);
 * `legacy` is v2's default 2025 handshake.
 */
export async function connectV2(target: ClientTarget, mode: 'legacy' | { pin: string } | 'auto'): Promise<ConnectedV2> {
  const transport = new StreamableV2(new URL('/mcp', target.baseUrl), {
    fetch: target.fetch,
    requestInit: { headers: authHeaders(target) },
  });
  const client = new ClientV2(clientInfo, { capabilities: {}, versionNegotiation: { mode } });
  await client.connect(transport);
  return {
    client,
    negotiatedVersion: client.getNegotiatedProtocolVersion(),
    era: client.getProtocolEra(),
    async close() {
      if (transport.sessionId) await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** Text of a tool result's first text block (what `ask` answers with). */
export function resultText(result: { content?: unknown }): string {
  const blocks = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
  return blocks
    .filter((b) => b.type === 'text')
    .map((b) => b.text ?? '')
    .join('');
}
