// One load point against one target: picks the generator for the protocol (wrk for request/response
// transports, the SSE generator for legacy SSE) and records the server's CPU use during the point.
import { join } from 'node:path';
import type { Target } from '../targets.ts';
import {
  ACCEPT,
  checkedPost,
  modernToolCallBody,
  modernToolCallHeaders,
  openSessions,
  sessionHeaders,
  sessionToolCallBody,
} from './mcp-wire.ts';
import { BENCH_DIR } from './paths.ts';
import { cpuSeconds, run, type ServerProcess } from './proc.ts';
import { type LoadResult, runWrk } from './wrk.ts';

/**
 * How a target is spoken to: 2026-07-28 per request, 2025 inside sessions, 2025 without a session (stateless
 * servers), legacy SSE, or bare JSON-RPC (the ceiling).
 */
export type Protocol = 'modern' | 'session' | 'stateless2025' | 'sse' | 'plain';

export interface PreparedTarget {
  target: Target;
  server: ServerProcess;
  protocol: Protocol;
  /** Open 2025 sessions, round-robined by wrk (session protocol only). */
  sessions?: string[];
}

const baseUrl = (t: Target) => `http://127.0.0.1:${t.port}`;

/** Opens what the protocol needs and proves one correct call before any load is applied. */
export async function prepare(
  target: Target,
  server: ServerProcess,
  protocol: Protocol,
  sessionCount = 64,
): Promise<PreparedTarget> {
  const url = `${baseUrl(target)}/mcp`;
  const call = target.call;
  if (protocol === 'modern') {
    await checkedPost(url, modernToolCallHeaders(call, target.auth), modernToolCallBody(call), call.expect);
    return { target, server, protocol };
  }
  if (protocol === 'plain') {
    await checkedPost(
      url,
      { Accept: ACCEPT, 'Content-Type': 'application/json' },
      sessionToolCallBody(call),
      call.expect,
    );
    return { target, server, protocol };
  }
  if (protocol === 'stateless2025') {
    await checkedPost(url, sessionHeaders(target.auth), sessionToolCallBody(call), call.expect);
    return { target, server, protocol };
  }
  if (protocol === 'session') {
    const sessions = await openSessions(baseUrl(target), target.auth, sessionCount);
    await checkedPost(
      url,
      { ...sessionHeaders(target.auth), 'Mcp-Session-Id': sessions[0]! },
      sessionToolCallBody(call),
      call.expect,
    );
    return { target, server, protocol, sessions };
  }
  const probe = await sseLoad(target, 1, 30, 3);
  if (probe.failures > 0 || probe.requests < 1)
    throw new Error(`legacy SSE preflight failed on ${target.id}: ${probe.firstFailure}`);
  return { target, server, protocol };
}

async function sseLoad(target: Target, connections: number, durationS: number, requests?: number): Promise<LoadResult> {
  const config = {
    baseUrl: baseUrl(target),
    ssePath: '/sse',
    auth: target.auth,
    connections,
    durationS,
    requests,
    toolName: target.call.name,
    toolArguments: target.call.arguments,
    expect: target.call.expect,
  };
  const result = await run(process.execPath, [join(BENCH_DIR, 'lib', 'sse-load.ts'), JSON.stringify(config)], {
    timeoutMs: (durationS + 60) * 1000,
  });
  const line = result.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (!line) throw new Error(`SSE load generator failed against ${target.id}: ${result.stderr.slice(0, 1000)}`);
  return JSON.parse(line.slice('BENCH_JSON '.length)) as LoadResult;
}

export interface MeasuredLoad extends LoadResult {
  /** Server CPU used during the point, in cores (1.0 = the whole pinned core busy). */
  serverCpu: number;
}

export async function applyLoad(
  p: PreparedTarget,
  connections: number,
  durationS: number,
  label: string,
  requests?: number,
): Promise<MeasuredLoad> {
  const cpuBefore = cpuSeconds(p.server.pid);
  let result: LoadResult;
  if (p.protocol === 'sse') {
    result = await sseLoad(p.target, connections, durationS, requests);
  } else {
    const call = p.target.call;
    const modern = p.protocol === 'modern';
    result = await runWrk({
      label,
      url: `${baseUrl(p.target)}/mcp`,
      body: modern ? modernToolCallBody(call) : sessionToolCallBody(call),
      headers:
        p.protocol === 'modern'
          ? modernToolCallHeaders(call, p.target.auth)
          : p.protocol === 'session' || p.protocol === 'stateless2025'
            ? sessionHeaders(p.target.auth)
            : { Accept: ACCEPT, 'Content-Type': 'application/json' },
      sessions: p.sessions?.slice(0, Math.max(connections, 1)),
      expect: call.expect,
      connections,
      durationS,
    });
  }
  const serverCpu = (cpuSeconds(p.server.pid) - cpuBefore) / result.durationS;
  return { ...result, serverCpu };
}
