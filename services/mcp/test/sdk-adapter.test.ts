// The SDK seam (src/mcp/sdk-adapter.ts) relies on how the SDK drives a Transport. These tests fail when an SDK
// upgrade changes that, so the upgrade is noticed here rather than as miscounted in-flight calls in production.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/client';
import {
  InMemoryTransport,
  type JSONRPCMessage,
  McpServer,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { SSEServerTransport } from '@modelcontextprotocol/server-legacy/sse';
import { createServerSeats, FORWARDED_OPTIONAL_MEMBERS, tapTransport } from '../src/mcp/sdk-adapter.ts';

/** Members of the Transport contract the tapped transport provides itself (delegating to the inner one). */
const TRANSPORT_MEMBERS = ['start', 'send', 'close', 'onclose', 'onerror', 'onmessage', 'sessionId'];
/** Members the session code calls on the SDK transport directly, never through the server. */
const CALLED_DIRECTLY: Record<string, string[]> = {
  WebStandardStreamableHTTPServerTransport: ['handleRequest', 'closeSSEStream', 'closeStandaloneSSEStream'],
  SSEServerTransport: ['handlePostMessage', 'handleMessage', 'validateRequestHeaders'],
};

/** Names a class declares `private` in its package's typings (not every SDK class marks them with a leading _). */
function privateInTypings(cls: { name: string }, specifier: string): Set<string> {
  const typings = readFileSync(fileURLToPath(import.meta.resolve(specifier)).replace(/\.mjs$/, '.d.mts'), 'utf8');
  const start = typings.indexOf(`declare class ${cls.name} `);
  if (start === -1) return new Set();
  const body = typings.slice(start, typings.indexOf('\n}', start));
  return new Set([...body.matchAll(/^\s*private (?:readonly )?(\w+)/gm)].map((match) => match[1] as string));
}

const publicMembers = (cls: { name: string; prototype: object }, specifier: string) => {
  const hidden = privateInTypings(cls, specifier);
  return Object.getOwnPropertyNames(cls.prototype)
    .filter((name) => name !== 'constructor' && !name.startsWith('_') && !hidden.has(name))
    .sort();
};

describe('SDK seam: tapped transports', () => {
  for (const [cls, specifier] of [
    [WebStandardStreamableHTTPServerTransport, '@modelcontextprotocol/server'],
    [SSEServerTransport, '@modelcontextprotocol/server-legacy/sse'],
  ] as const) {
    it(`covers every public member of ${cls.name}`, () => {
      const known = new Set([
        ...TRANSPORT_MEMBERS,
        ...FORWARDED_OPTIONAL_MEMBERS,
        ...(CALLED_DIRECTLY[cls.name] ?? []),
      ]);
      const unknown = publicMembers(cls, specifier).filter((name) => !known.has(name));
      assert.deepEqual(
        unknown,
        [],
        `${cls.name} gained members the tapped transport does not forward: decide in sdk-adapter.ts`,
      );
    });
  }

  it('sees every request and its response, forwards what connect() sets up, and reports the close', async () => {
    const received: JSONRPCMessage[] = [];
    const sent: JSONRPCMessage[] = [];
    let closed = 0;
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    let supported: string[] | undefined;
    Object.assign(serverSide, { setSupportedProtocolVersions: (versions: string[]) => (supported = versions) });
    const server = new McpServer({ name: 'seam', version: '1.0.0' });
    server.registerTool('echo', { description: 'echo' }, () => ({ content: [{ type: 'text', text: 'hi' }] }));
    await server.connect(
      tapTransport(serverSide, {
        received: (message) => received.push(message),
        sent: (message) => sent.push(message),
        closed: () => closed++,
      }),
    );
    assert.ok(supported && supported.length > 0, 'connect() hands the supported versions to the transport');

    const client = new Client({ name: 'seam-test', version: '1.0.0' });
    await client.connect(clientSide);
    await client.callTool({ name: 'echo', arguments: {} });

    const requestIds = received.filter((m) => 'method' in m && 'id' in m).map((m) => (m as { id: unknown }).id);
    const responseIds = sent.filter((m) => !('method' in m) && 'id' in m).map((m) => (m as { id: unknown }).id);
    assert.ok(requestIds.length >= 2, 'initialize and tools/call were seen');
    assert.deepEqual(responseIds, requestIds, 'each request was answered through the tapped send');

    await client.close();
    assert.equal(closed, 1);
    await server.close();
  });
});

describe('SDK seam: server seats', () => {
  it('closing a seated server leaves the transport open, and a new server takes the next messages', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    let transportClosed = false;
    const close = serverSide.close.bind(serverSide);
    serverSide.close = () => {
      transportClosed = true;
      return close();
    };
    const seats = createServerSeats(serverSide);
    const build = (text: string) => {
      const server = new McpServer({ name: 'seat', version: '1.0.0' });
      server.registerTool('which', { description: 'which server' }, () => ({ content: [{ type: 'text', text }] }));
      return server;
    };
    const first = build('first');
    await first.connect(seats.next());
    const client = new Client({ name: 'seat-test', version: '1.0.0' });
    await client.connect(clientSide);
    assert.deepEqual((await client.callTool({ name: 'which', arguments: {} })).content, [
      { type: 'text', text: 'first' },
    ]);

    await first.close(); // Protocol.close() calls the seat's close(): the server leaves, the transport stays
    assert.equal(transportClosed, false);
    const second = build('second');
    const seat = seats.next();
    await second.connect(seat);
    // Told the handshake again: its answer to that is not sent to the client (which would reject an unknown id).
    const errors: Error[] = [];
    client.onerror = (error) => errors.push(error);
    seat.replay([
      {
        jsonrpc: '2.0',
        id: 'replayed',
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'seat-test', version: '1.0.0' },
        },
      },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ]);
    assert.deepEqual((await client.callTool({ name: 'which', arguments: {} })).content, [
      { type: 'text', text: 'second' },
    ]);
    assert.equal(second.server.getClientVersion()?.name, 'seat-test', 'the replayed initialize reached the server');
    assert.deepEqual(errors, []);

    await client.close(); // the transport closes: the seated server closes with it
    assert.equal(second.isConnected(), false);
  });
});
