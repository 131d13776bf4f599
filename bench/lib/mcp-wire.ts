// The JSON-RPC messages and headers the bench sends, per protocol era, serialized once so every load generator
// (wrk, the SSE generator, the latency probes) sends exactly the same bytes. The messages themselves and the
// session handshake are the tests' (test-support/mcp-wire.ts).
import {
  INITIALIZED_NOTIFICATION,
  initializeMessage,
  MCP_ACCEPT,
  MODERN_VERSION,
  openRawSession,
  SESSION_VERSION,
} from '@mcp-stack/test-support/mcp-wire';

export { MODERN_VERSION, SESSION_VERSION };
export const ACCEPT = MCP_ACCEPT;

/** What a bench tools/call sends and how a good answer is recognised. */
export interface ToolCall {
  name: string;
  arguments: Record<string, unknown>;
  /** Substring every successful response body contains. */
  expect: string;
}

export const ECHO_TEXT = 'bench-echo-0123456789';
export const ECHO_CALL: ToolCall = { name: 'echo', arguments: { text: ECHO_TEXT }, expect: ECHO_TEXT };

const CLIENT_INFO = { name: 'mcp-stack-bench', version: '0.1.0' };

export function modernToolCallBody(call: ToolCall, id: number | string = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: call.name,
      arguments: call.arguments,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
        'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  });
}

export function modernToolCallHeaders(call: ToolCall, auth: Record<string, string>): Record<string, string> {
  return {
    Accept: ACCEPT,
    'Content-Type': 'application/json',
    'MCP-Protocol-Version': MODERN_VERSION,
    'Mcp-Method': 'tools/call',
    'Mcp-Name': call.name,
    ...auth,
  };
}

export function sessionToolCallBody(call: ToolCall, id: number | string = 1): string {
  return JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: call.name, arguments: call.arguments },
  });
}

/** Headers of a request inside a 2025 session (the session id is added per request). */
export function sessionHeaders(auth: Record<string, string>): Record<string, string> {
  return { Accept: ACCEPT, 'Content-Type': 'application/json', 'MCP-Protocol-Version': SESSION_VERSION, ...auth };
}

export function initializeBody(id: number | string = 0, protocolVersion = SESSION_VERSION): string {
  return JSON.stringify(initializeMessage(protocolVersion, id, CLIENT_INFO));
}

export const INITIALIZED_BODY = JSON.stringify(INITIALIZED_NOTIFICATION);

/** Opens one 2025 session over Streamable HTTP (initialize + initialized) and returns its id. */
export async function openSession(baseUrl: string, auth: Record<string, string>): Promise<string> {
  return (await openRawSession(`${baseUrl}/mcp`, { headers: auth, clientInfo: CLIENT_INFO })).sessionId;
}

/** Opens `count` sessions, `parallel` at a time. */
export async function openSessions(
  baseUrl: string,
  auth: Record<string, string>,
  count: number,
  parallel = 16,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  async function worker() {
    while (next < count) {
      next++;
      ids.push(await openSession(baseUrl, auth));
    }
  }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return ids;
}

/** One request/response exchange, checked; used to prove a target answers correctly before it is loaded. */
export async function checkedPost(
  url: string,
  headers: Record<string, string>,
  body: string,
  expect: string,
): Promise<string> {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  if (response.status !== 200 || !text.includes(expect)) {
    throw new Error(
      `POST ${url} did not answer as expected (wanted "${expect}"): HTTP ${response.status} ${text.slice(0, 400)}`,
    );
  }
  return text;
}
