// Tools for acting like a hostile client: raw sockets (partial headers, trickled bodies), raw 2025 sessions, and
// reading one value out of /metrics.
import { connect, type Socket } from 'node:net';
import { openRawSession as openWireSession } from '@mcp-stack/test-support/mcp-wire';
import { authHeaders, MCP_ACCEPT } from './start-service.ts';

export interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the milliseconds from `since` until the server closed (or reset) the connection. */
  closed: Promise<number>;
}

/** Opens a TCP connection and writes `head` (raw HTTP/1.1 text), leaving the rest to the caller. */
export async function rawConnection(port: number, head: string): Promise<RawConnection> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const opened = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)));
  socket.write(head);
  return { socket, received: () => text, closed };
}

/** Resolves with the value or 'timeout' after `ms`, whichever comes first. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([promise, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref())]);
}

export const jsonHeaders = { 'Content-Type': 'application/json', Accept: MCP_ACCEPT };

/** Opens a 2025 session (test-support's raw handshake); returns its id and the headers for further requests. */
export async function openRawSession(
  mcpUrl: string,
  extra: Record<string, string> = {},
): Promise<{ id: string; headers: Record<string, string> }> {
  const session = await openWireSession(mcpUrl, { headers: { ...authHeaders(), ...extra } });
  return { id: session.sessionId, headers: { ...jsonHeaders, ...authHeaders(), ...extra, ...session.headers } };
}

/** One sample of a Prometheus metric from /metrics (summed over label sets that match `labels`). */
export async function scrapeMetric(
  baseUrl: string,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const text = await (await fetch(`${baseUrl}/metrics`, { headers: authHeaders() })).text();
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const set = match[2] ?? '';
    if (!Object.entries(labels).every(([key, value]) => set.includes(`${key}="${value}"`))) continue;
    total = (total ?? 0) + Number(match[3]);
  }
  return total;
}
