// Measure 3: what one idle 2025 session and one open legacy SSE stream cost in server RSS, at 1,000 and
// 10,000 of them: (RSS with N open - RSS before) / N, on a fresh server warmed with a few of each first. Streams
// are measured twice: just opened (GET /sse, endpoint received, nothing sent yet) and initialized (initialize and
// notifications/initialized posted, as every client does next): ours builds a stream's McpServer on its first
// message, so the two differ for ours. Ours is measured a third time, idle: initialized, then left without messages
// until it released every stream's McpServer (MCP_LEGACY_SSE_SERVER_IDLE_SECONDS, default 30 s) and its reaper asked
// V8 for the memory-reducing GC that follows (node --expose-gc, as the image runs it). The target holds for a stream
// just opened and for an idle one; the initialized figure is what a stream costs within 30 s of its last message.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { INITIALIZED_BODY, initializeBody, openSessions } from '../lib/mcp-wire.ts';
import { settledRss } from '../lib/proc.ts';
import type { Target } from '../targets.ts';

export const COUNTS = [1_000, 10_000];
const WARMUP = 50;

export interface MemoryPoint {
  what: 'idle session' | 'open stream' | 'initialized stream' | 'idle stream';
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

/** Where a stream is when it is measured (see the top of this file). */
export type StreamState = 'opened' | 'initialized' | 'idle';

export async function measureOpenStreams(
  target: Target,
  log: (line: string) => void,
  state: StreamState = 'opened',
): Promise<MemoryPoint[]> {
  const idle = state === 'idle';
  const server = await target.start({}, idle ? ['--expose-gc'] : []);
  const sockets: Socket[] = [];
  const initialized = state !== 'opened';
  const what: MemoryPoint['what'] = idle ? 'idle stream' : initialized ? 'initialized stream' : 'open stream';
  const metrics = idle ? new ServiceMetrics(target) : undefined;
  /** Waits until every stream opened so far has released its server, and the GC after that ran. */
  const settled = async () => {
    if (!metrics) return settledRss(server.pid, 2_000);
    const gcs = await metrics.read(GC_COUNT);
    await metrics.waitFor(RELEASED, (n) => n >= sockets.length, 120_000);
    if (sockets.length >= GC_AFTER) await metrics.waitFor(GC_COUNT, (n) => n > gcs, 120_000);
    return settledRss(server.pid, 2_000);
  };
  try {
    // Idle streams: enough for the GC after their release, so that RSS before is measured after one too.
    const warmup = idle ? GC_AFTER : WARMUP;
    sockets.push(...(await openSseStreams(target, warmup, { initialized })));
    const before = await settled();
    const points: MemoryPoint[] = [];
    for (const count of COUNTS) {
      sockets.push(...(await openSseStreams(target, count - (sockets.length - warmup), { initialized })));
      const after = await settled();
      points.push(point(what, target, count, before, after));
      log(
        `  ${target.id.padEnd(18)} ${count} ${what}s: ${((after - before) / count / 1024).toFixed(1)} KB each, RSS ${(after / 2 ** 20).toFixed(0)} MiB`,
      );
    }
    return points;
  } finally {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  }
}

const RELEASED = /^mcp_legacy_sse_servers_released_total (\S+)/m;
const GC_COUNT = /^mcp_reaper_gc_duration_seconds_count (\S+)/m;
/** The service's default MCP_GC_AFTER_REAP_SESSIONS: fewer released servers ask for no GC. */
const GC_AFTER = 100;

/** Counters read from the service's /metrics. */
class ServiceMetrics {
  readonly #url: string;
  readonly #auth: Record<string, string>;
  constructor(target: Target) {
    this.#url = `http://127.0.0.1:${target.port}/metrics`;
    this.#auth = target.auth;
  }
  async read(pattern: RegExp): Promise<number> {
    const text = await (await fetch(this.#url, { headers: this.#auth })).text();
    return Number(pattern.exec(text)?.[1] ?? 0);
  }
  async waitFor(pattern: RegExp, done: (value: number) => boolean, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (let value = await this.read(pattern); !done(value); value = await this.read(pattern)) {
      if (Date.now() > until) throw new Error(`${pattern.source} still ${value} after ${timeoutMs / 1000} s`);
      await sleep(500);
    }
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

/**
 * Raw sockets, so holding 10,000 streams costs the bench little: each sends GET /sse and waits for `endpoint`; with
 * `initialized`, it then posts initialize, waits for its result on the stream and posts notifications/initialized.
 */
export async function openSseStreams(
  target: Target,
  count: number,
  { initialized = false, parallel = 64 }: { initialized?: boolean; parallel?: number } = {},
): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let started = 0;
  const headers = Object.entries(target.auth)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const base = `http://127.0.0.1:${target.port}`;
  const request = `GET /sse HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nAccept: text/event-stream\r\n${headers}\r\n`;
  const post = async (endpoint: string, body: string) => {
    const response = await fetch(new URL(endpoint, base), {
      method: 'POST',
      headers: { ...target.auth, 'Content-Type': 'application/json' },
      body,
    });
    await response.text();
    if (response.status !== 202) throw new Error(`POST ${endpoint} on ${target.id} answered ${response.status}`);
  };
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
      let endpoint: string | undefined;
      const hold = () => {
        socket.off('data', onData);
        socket.resume(); // keep draining keepalive comments
      };
      const onData = (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (/^HTTP\/1\.1 (?!200)/.test(seen)) {
          socket.destroy();
          reject(new Error(`GET /sse on ${target.id} answered: ${seen.split('\r\n')[0]}`));
        } else if (endpoint === undefined && seen.includes('event: endpoint')) {
          endpoint = /event: endpoint\r?\ndata: (\S+)/.exec(seen)?.[1];
          if (!initialized) {
            hold();
            resolve(socket);
          } else if (endpoint) {
            seen = '';
            post(endpoint, initializeBody(1)).catch(reject);
          } // else its data line is still on the way
        } else if (endpoint !== undefined && seen.includes('"serverInfo"')) {
          hold();
          post(endpoint, INITIALIZED_BODY).then(() => resolve(socket), reject);
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
