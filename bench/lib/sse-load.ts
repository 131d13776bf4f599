// Load generator for the legacy HTTP+SSE transport, which wrk cannot drive: each POST to /messages is
// answered 202 and the JSON-RPC result arrives on the client's open GET /sse stream. Every connection
// opens its own SSE session, initializes it, then sends tools/call back to back; a call's latency runs
// from the POST until both the 202 and the matching result on the stream have arrived.
// Run as a child process pinned to the load core:
//   node sse-load.ts '<json config>'   → prints "BENCH_JSON {...}"
import { Agent, type IncomingMessage, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createSseItemParser, type SseItem } from '@mcp-stack/test-support/sse';
import { INITIALIZED_BODY, initializeBody } from './mcp-wire.ts';
import { percentile } from './stats.ts';
import type { LoadResult } from './wrk.ts';

export interface SseLoadConfig {
  baseUrl: string;
  ssePath: string;
  auth: Record<string, string>;
  connections: number;
  /** Stop after this many seconds, or after `requests` calls in total, whichever comes first. */
  durationS: number;
  requests?: number;
  toolCallBody: (id: number) => string;
  expect: string;
}

type Pending = (payload: string) => void;

class SseSession {
  private readonly pending = new Map<string, Pending>();
  private readonly parser = createSseItemParser((item) => this.onItem(item));
  private endpointResolve?: (url: string) => void;
  private endpointReject?: (error: Error) => void;
  private readonly endpoint: Promise<string>;
  private response?: IncomingMessage;
  private readonly config: { baseUrl: string; ssePath: string; auth: Record<string, string> };

  constructor(config: { baseUrl: string; ssePath: string; auth: Record<string, string> }) {
    this.config = config;
    this.endpoint = new Promise((resolve, reject) => {
      this.endpointResolve = resolve;
      this.endpointReject = reject;
    });
  }

  open(): Promise<string> {
    const req = request(`${this.config.baseUrl}${this.config.ssePath}`, {
      method: 'GET',
      agent: false,
      headers: { Accept: 'text/event-stream', ...this.config.auth },
    });
    req.on('response', (res) => {
      this.response = res;
      if (res.statusCode !== 200) {
        res.resume();
        this.endpointReject?.(new Error(`GET ${this.config.ssePath} answered HTTP ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => this.parser.feed(chunk));
    });
    req.on('error', (error) => this.endpointReject?.(error));
    req.end();
    return this.endpoint;
  }

  private onItem(item: SseItem) {
    if (item.kind !== 'event') return; // keepalive comments
    const payload = item.data;
    if (item.event === 'endpoint') {
      this.endpointResolve?.(new URL(payload, this.config.baseUrl + this.config.ssePath).toString());
      return;
    }
    const idMatch = /"id":("[^"]*"|\d+)/.exec(payload);
    const id = idMatch ? idMatch[1]!.replace(/"/g, '') : '';
    const waiter = this.pending.get(id);
    if (waiter) {
      this.pending.delete(id);
      waiter(payload);
    }
  }

  awaitReply(id: string): Promise<string> {
    return new Promise((resolve) => this.pending.set(id, resolve));
  }

  close() {
    this.response?.destroy();
  }
}

function post(url: string, agent: Agent, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'Content-Type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export async function runSseLoad(config: SseLoadConfig): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: config.connections });
  const sessions: { session: SseSession; endpoint: string }[] = [];
  for (let i = 0; i < config.connections; i++) {
    const session = new SseSession(config);
    const endpoint = await session.open();
    const initReply = session.awaitReply('init');
    await post(endpoint, agent, config.auth, initializeBody('init', '2024-11-05'));
    const reply = await initReply;
    if (!reply.includes('"result"')) throw new Error(`SSE initialize failed: ${reply.slice(0, 300)}`);
    await post(endpoint, agent, config.auth, INITIALIZED_BODY);
    sessions.push({ session, endpoint });
  }

  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let nextId = 1;
  const started = performance.now();
  const deadline = started + config.durationS * 1000;
  const limit = config.requests ?? Number.POSITIVE_INFINITY;

  async function worker({ session, endpoint }: { session: SseSession; endpoint: string }) {
    while (performance.now() < deadline && nextId <= limit) {
      const id = nextId++;
      const t0 = performance.now();
      const reply = session.awaitReply(String(id));
      const [status, payload] = await Promise.all([post(endpoint, agent, config.auth, config.toolCallBody(id)), reply]);
      latencies.push(performance.now() - t0);
      if (status !== 202 || !payload.includes(config.expect)) {
        failures++;
        firstFailure ??= `${status} ${payload.slice(0, 300)}`;
      }
    }
  }
  await Promise.all(sessions.map(worker));
  const durationS = (performance.now() - started) / 1000;
  for (const { session } of sessions) session.close();
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    durationS,
    rps: latencies.length / durationS,
    p50Ms: percentile(sorted, 50),
    p90Ms: percentile(sorted, 90),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    failures,
    firstFailure,
    generator: 'node SSE client (bench/lib/sse-load.ts)',
  };
}

// CLI: the runner starts this file pinned to the load core with a JSON config (the body is built here).
if (import.meta.url === `file://${process.argv[1]}`) {
  const raw = JSON.parse(process.argv[2] ?? '{}') as Omit<SseLoadConfig, 'toolCallBody'> & {
    toolName: string;
    toolArguments: unknown;
  };
  const result = await runSseLoad({
    ...raw,
    toolCallBody: (id) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: raw.toolName, arguments: raw.toolArguments },
      }),
  });
  process.stdout.write(`BENCH_JSON ${JSON.stringify(result)}\n`);
  process.exit(0);
}
