// Before measuring, ask our service which tool to call (like with like: an `echo` if it has one, else its
// cheapest tool that touches no LLM) and how it shapes 2025 session replies, so the bare baseline can match.
import {
  ACCEPT,
  ECHO_CALL,
  MODERN_VERSION,
  modernToolCallBody,
  modernToolCallHeaders,
  openSession,
  sessionHeaders,
  sessionToolCallBody,
  type ToolCall,
} from '../lib/mcp-wire.ts';
import type { Target } from '../targets.ts';

export interface Discovered {
  call: ToolCall;
  sessionReplies: 'sse' | 'json';
  description: string;
}

/** Tools in order of preference; none of them calls the LLM provider. */
const CANDIDATES: { name: string; call: ToolCall; why: string }[] = [
  { name: 'echo', call: ECHO_CALL, why: 'the same echo tool the baselines serve' },
  {
    name: 'server_info',
    call: { name: 'server_info', arguments: {}, expect: '"content":[' },
    why: 'server_info on every server: the service has no echo tool, so the baselines serve a server_info twin (same zod input/output schemas, same result shape; structured output validated on both sides). server_info answers from memory and never calls the LLM',
  },
];

export async function discoverOurs(target: Target): Promise<Discovered> {
  const server = await target.start();
  try {
    const base = `http://127.0.0.1:${target.port}/mcp`;
    const listBody = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/list',
      params: {
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
          'io.modelcontextprotocol/clientInfo': { name: 'mcp-stack-bench', version: '0.1.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    });
    const listed = await fetch(base, {
      method: 'POST',
      headers: { ...modernToolCallHeaders(ECHO_CALL, target.auth), 'Mcp-Method': 'tools/list', 'Mcp-Name': '' },
      body: listBody,
    });
    const listText = await listed.text();
    if (listed.status !== 200) throw new Error(`tools/list answered HTTP ${listed.status}: ${listText.slice(0, 300)}`);
    const names = [...listText.matchAll(/"name":"([^"]+)"/g)].map((m) => m[1]!);
    const chosen = CANDIDATES.find((c) => names.includes(c.name));
    if (!chosen)
      throw new Error(
        `none of ${CANDIDATES.map((c) => c.name).join(', ')} is in the service's tools/list (${names.join(', ')})`,
      );

    // One real call each way, checked: the result must not be an error.
    const modern = await fetch(base, {
      method: 'POST',
      headers: modernToolCallHeaders(chosen.call, target.auth),
      body: modernToolCallBody(chosen.call),
    });
    const modernText = await modern.text();
    if (modern.status !== 200 || !modernText.includes(chosen.call.expect) || modernText.includes('"isError":true')) {
      throw new Error(
        `tools/call ${chosen.name} (2026-07-28) failed: HTTP ${modern.status} ${modernText.slice(0, 300)}`,
      );
    }
    const sessionId = await openSession(`http://127.0.0.1:${target.port}`, target.auth);
    const call = await fetch(base, {
      method: 'POST',
      headers: { ...sessionHeaders(target.auth), 'Mcp-Session-Id': sessionId, Accept: ACCEPT },
      body: sessionToolCallBody(chosen.call),
    });
    const callText = await call.text();
    if (call.status !== 200 || !callText.includes(chosen.call.expect))
      throw new Error(
        `tools/call ${chosen.name} in a 2025 session failed: HTTP ${call.status} ${callText.slice(0, 300)}`,
      );
    const sessionReplies = (call.headers.get('content-type') ?? '').includes('text/event-stream') ? 'sse' : 'json';
    return { call: chosen.call, sessionReplies, description: chosen.why };
  } finally {
    await server.stop();
  }
}
