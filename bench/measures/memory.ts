// Measure 3: what one idle 2025 session and one open legacy SSE stream cost in server RSS, at 1,000 and
// 10,000 of them: (RSS with N open - RSS before) / N, on a fresh server warmed with a few of each first.
import { connect, type Socket } from 'node:net';
import { openSessions } from '../lib/mcp-wire.ts';
import { settledRss } from '../lib/proc.ts';
import type { Target } from '../targets.ts';

export const COUNTS = [1_000, 10_000];
const WARMUP = 50;

export interface MemoryPoint {
  what: 'idle session' | 'open stream';
  target: string;
  label: string;
  kind: Target['kind'];
  count: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesEach: number;
}

export async function measureIdleSessions(target: Target, log: (line: string) => void): Promise<MemoryPoint[]> {
  const server = await target.start();
  const baseUrl = `http://127.0.0.1:${target.port}`;
  try {
    await openSessions(baseUrl, target.auth, WARMUP);
    const before = await settledRss(server.pid, 2_000);
    const points: MemoryPoint[] = [];
    let open = 0;
    for (const count of COUNTS) {
      await openSessions(baseUrl, target.auth, count - open, 32);
      open = count;
      const after = await settledRss(server.pid, 2_000);
      points.push(point('idle session', target, count, before, after));
      log(
        `  ${target.id.padEnd(18)} ${count} idle sessions: ${((after - before) / count / 1024).toFixed(1)} KB each, RSS ${(after / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    return points;
  } finally {
    await server.stop();
  }
}

export async function measureOpenStreams(target: Target, log: (line: string) => void): Promise<MemoryPoint[]> {
  const server = await target.start();
  const sockets: Socket[] = [];
  try {
    sockets.push(...(await openSseStreams(target, WARMUP)));
    const before = await settledRss(server.pid, 2_000);
    const points: MemoryPoint[] = [];
    for (const count of COUNTS) {
      sockets.push(...(await openSseStreams(target, count - (sockets.length - WARMUP))));
      const after = await settledRss(server.pid, 2_000);
      points.push(point('open stream', target, count, before, after));
      log(
        `  ${target.id.padEnd(18)} ${count} open /sse streams: ${((after - before) / count / 1024).toFixed(1)} KB each, RSS ${(after / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    return points;
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
}

function point(what: MemoryPoint['what'], target: Target, count: number, before: number, after: number): MemoryPoint {
  return {
    what,
    target: target.id,
    label: target.label,
    kind: target.kind,
    count,
    rssBeforeBytes: before,
    rssAfterBytes: after,
    bytesEach: (after - before) / count,
  };
}

/** Raw sockets, so holding 10,000 streams costs the bench little: each sends GET /sse and waits for `endpoint`. */
export async function openSseStreams(target: Target, count: number, parallel = 64): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let started = 0;
  const headers = Object.entries(target.auth)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const request = `GET /sse HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nAccept: text/event-stream\r\n${headers}\r\n`;
  async function worker() {
    while (started < count) {
      started++;
      sockets.push(await openOne());
    }
  }
  function openOne(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect(target.port, '127.0.0.1');
      let seen = '';
      const onData = (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.includes('event: endpoint')) {
          socket.off('data', onData);
          socket.resume(); // keep draining keepalive comments
          resolve(socket);
        } else if (/^HTTP\/1\.1 (?!200)/.test(seen)) {
          socket.destroy();
          reject(new Error(`GET /sse on ${target.id} answered: ${seen.split('\r\n')[0]}`));
        }
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write(request);
    });
  }
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return sockets;
}
