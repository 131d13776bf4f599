/**
 * Raw MCP messages and the raw 2025 session handshake, for the checks that must see the wire itself (status
 * codes, headers, stream framing) rather than what an SDK client makes of it. Everything else uses the SDK.
 */

/** What a Streamable HTTP client accepts on POST /mcp. */
export const MCP_ACCEPT = 'application/json, text/event-stream';
/** The stateless protocol (every request carries its own version and client info). */
export const MODERN_VERSION = '2026-07-28';
/** The newest session-based protocol (initialize, Mcp-Session-Id). */
export const SESSION_VERSION = '2025-11-25';

export const RAW_CLIENT_INFO = { name: 'mcp-stack-raw-client', version: '1.0.0' };

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: number | string;
  method: string;
  params: Record<string, unknown>;
}

/** A JSON-RPC initialize as a session-era (2024/2025) client sends it. */
export function initializeMessage(
  protocolVersion: string = SESSION_VERSION,
  id: number | string = 1,
  clientInfo: { name: string; version: string } = RAW_CLIENT_INFO,
): JsonRpcRequest {
  return { jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo } };
}

/** A JSON-RPC tools/call; a `progressToken` asks the server for progress notifications. */
export function toolCallMessage(
  name: string,
  args: Record<string, unknown>,
  options: { id?: number | string; progressToken?: string } = {},
): JsonRpcRequest {
  const meta = options.progressToken === undefined ? {} : { _meta: { progressToken: options.progressToken } };
  return { jsonrpc: '2.0', id: options.id ?? 1, method: 'tools/call', params: { name, arguments: args, ...meta } };
}

/** The notification that completes the handshake. */
export const INITIALIZED_NOTIFICATION = { jsonrpc: '2.0', method: 'notifications/initialized' } as const;

/** Headers of every request inside a 2025 session, after initialize. */
export function sessionHeaders(sessionId: string, protocolVersion: string = SESSION_VERSION): Record<string, string> {
  return { 'Mcp-Session-Id': sessionId, 'Mcp-Protocol-Version': protocolVersion };
}

export interface RawSession {
  sessionId: string;
  /** Session id and protocol version headers (add auth and content headers per request). */
  headers: Record<string, string>;
  /** The body of the initialize response, as it came (JSON or an event stream). */
  initializeResponse: string;
}

/**
 * Opens a 2025 session with raw requests: POST initialize, then POST notifications/initialized.
 * Throws with the status and body when the server answers anything but 200 with a session id, then 202.
 */
export async function openRawSession(
  mcpUrl: string,
  options: {
    fetch?: typeof globalThis.fetch;
    /** Sent with both requests: auth and anything else the caller wants on the wire. */
    headers?: Record<string, string>;
    protocolVersion?: string;
    clientInfo?: { name: string; version: string };
  } = {},
): Promise<RawSession> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const protocolVersion = options.protocolVersion ?? SESSION_VERSION;
  const post = { 'Content-Type': 'application/json', Accept: MCP_ACCEPT, ...options.headers };
  const init = await doFetch(mcpUrl, {
    method: 'POST',
    headers: post,
    body: JSON.stringify(initializeMessage(protocolVersion, 1, options.clientInfo)),
  });
  const initializeResponse = await init.text();
  const sessionId = init.headers.get('mcp-session-id');
  if (init.status !== 200 || !sessionId || !initializeResponse.includes('"result"')) {
    throw new Error(
      `initialize at ${mcpUrl}: HTTP ${init.status}, session ${sessionId}: ${initializeResponse.slice(0, 300)}`,
    );
  }
  const headers = sessionHeaders(sessionId, protocolVersion);
  const initialized = await doFetch(mcpUrl, {
    method: 'POST',
    headers: { ...post, ...headers },
    body: JSON.stringify(INITIALIZED_NOTIFICATION),
  });
  const ack = await initialized.text();
  if (initialized.status !== 202) {
    throw new Error(`notifications/initialized at ${mcpUrl}: HTTP ${initialized.status} ${ack.slice(0, 300)}`);
  }
  return { sessionId, headers, initializeResponse };
}

/** A 2026-07-28 request: the protocol version, client capabilities and info travel in every request's _meta. */
export function modernMessage(
  method: string,
  params: Record<string, unknown>,
  options: { id?: number | string; progressToken?: string } = {},
): JsonRpcRequest {
  const meta: Record<string, unknown> = {
    'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': RAW_CLIENT_INFO,
  };
  if (options.progressToken !== undefined) meta.progressToken = options.progressToken;
  return { jsonrpc: '2.0', id: options.id ?? 1, method, params: { ...params, _meta: meta } };
}

/** The headers a 2026-07-28 client sends with a request (Mcp-Name for tools/call, prompts/get, resources/read). */
export function modernHeaders(method: string, name?: string): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    Accept: MCP_ACCEPT,
    'MCP-Protocol-Version': MODERN_VERSION,
    'Mcp-Method': method,
    ...(name !== undefined && { 'Mcp-Name': name }),
  };
}
