// Many clients never send DELETE: sessions idle for MCP_SESSION_IDLE_SECONDS with nothing open are closed. The same
// pass releases the McpServer of legacy SSE streams idle for MCP_LEGACY_SSE_SERVER_IDLE_SECONDS (legacy-sse.ts).
//
// Closing them makes their memory garbage, but an idle process gives V8 no reason to collect it: its memory
// reducer waits for a low allocation rate, which it only measures at a GC, so the heap stays at its peak until
// traffic returns (measured: 10,000 abandoned sessions, RSS 150 -> 580 MiB, still 580 MiB after they were all
// reaped). After a pass that closed many sessions the reaper therefore asks for one memory-reducing GC, through
// the `gc` function node exposes with --expose-gc (the image's CMD sets it; without it nothing is asked).
import { performance } from 'node:perf_hooks';
import { releaseIdleServer } from './legacy-sse.ts';
import type { SessionDeps, SessionRegistry } from './registry.ts';

type ReaperDeps = Pick<SessionDeps, 'config' | 'logger' | 'metrics'>;

/** V8's gc extension (node --expose-gc); 'last-resort' is the flavour that also shrinks the heap. */
type ExposedGc = (options: { type: 'major'; execution: 'async'; flavor: 'last-resort' }) => Promise<void>;

/**
 * One pass: closes the sessions idle for longer than MCP_SESSION_IDLE_SECONDS that have no open request or stream,
 * and releases the servers of legacy SSE streams idle for MCP_LEGACY_SSE_SERVER_IDLE_SECONDS.
 */
export function sweepIdle(
  registry: SessionRegistry,
  deps: ReaperDeps,
  now = Date.now(),
): { reaped: number; released: number } {
  const { reaped, released } = reap(registry, deps, now);
  return { reaped, released };
}

interface Pass {
  reaped: number;
  released: number;
  /** Sessions that still hold an McpServer after the pass. */
  servers: number;
  closed: Promise<unknown>;
}

function reap(registry: SessionRegistry, deps: ReaperDeps, now: number): Pass {
  const { sessionIdleSeconds, legacySseServerIdleSeconds } = deps.config.mcp;
  const idleMs = sessionIdleSeconds * 1000;
  const releaseBefore = legacySseServerIdleSeconds > 0 ? now - legacySseServerIdleSeconds * 1000 : -Infinity;
  const closing: Promise<void>[] = [];
  let released = 0;
  let servers = 0;
  for (const session of [...registry.values()]) {
    if (session.openRequests > 0 || now - session.lastActivity < idleMs) {
      if (session.kind === 'legacy-sse' && releaseIdleServer(session, releaseBefore)) released++;
      else if (session.server) servers++;
      continue;
    }
    deps.metrics.sessionsReaped.labels(session.kind).inc();
    const idleSeconds = Math.round((now - session.lastActivity) / 1000);
    deps.logger.info({ sessionId: session.id, transport: session.kind, idleSeconds }, 'reaping idle session');
    closing.push(registry.close(session, 'idle'));
  }
  if (released > 0) deps.metrics.serversReleased.inc(released);
  return { reaped: closing.length, released, servers, closed: Promise.allSettled(closing) };
}

/**
 * Runs the pass periodically (often enough for short idle limits, at most every 30 s); returns the stop function.
 * Once MCP_GC_AFTER_REAP_SESSIONS sessions were reaped or servers released since the last such GC, and at most half
 * of the most McpServers alive since then still are (most of their memory is garbage, the pause short), asks for
 * one, at most once per min(MCP_SESSION_IDLE_SECONDS, 60 s): a memory-reducing GC pauses the process (~0.5 s
 * measured on a busy 2-core machine), so a steady churn of sessions gets one a minute, not one per pass.
 */
export function startReaper(registry: SessionRegistry, deps: ReaperDeps): () => void {
  const { sessionIdleSeconds, legacySseServerIdleSeconds } = deps.config.mcp;
  const idleMs = sessionIdleSeconds * 1000;
  const shortestMs = legacySseServerIdleSeconds > 0 ? Math.min(idleMs, legacySseServerIdleSeconds * 1000) : idleMs;
  const periodMs = Math.max(250, Math.min(shortestMs / 2, 30_000));
  const gcSpacingMs = Math.max(periodMs, Math.min(idleMs, 60_000));
  const threshold = deps.config.mcp.gcAfterReapSessions;
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  if (threshold > 0 && typeof gc !== 'function') {
    deps.logger.debug('node runs without --expose-gc: the memory of reaped sessions is released at V8’s next GC');
  }
  let reapedSinceGc = 0;
  let releasedSinceGc = 0;
  let peakServers = 0;
  let lastGcAt = 0;
  let releasing = false;
  const timer = setInterval(() => {
    const { reaped, released, servers, closed } = reap(registry, deps, Date.now());
    peakServers = Math.max(peakServers, servers + released + reaped);
    reapedSinceGc += reaped;
    releasedSinceGc += released;
    if (threshold === 0 || typeof gc !== 'function' || releasing) return;
    // Only once the crowd has left (at most half of the most servers alive since the last GC still are): a full
    // GC's pause grows with what is still alive (~4 s with 32,000 open sessions on one replica in the soak).
    if (reapedSinceGc + releasedSinceGc < threshold || servers > peakServers / 2 || Date.now() - lastGcAt < gcSpacingMs)
      return;
    releasing = true;
    const freed = { reaped: reapedSinceGc, releasedServers: releasedSinceGc };
    reapedSinceGc = 0;
    releasedSinceGc = 0;
    peakServers = 0;
    void closed
      .then(() => releaseMemory(gc, deps, freed))
      .catch((error: unknown) => deps.logger.warn({ error: String(error) }, 'releasing memory after reaping failed'))
      .finally(() => {
        releasing = false;
        lastGcAt = Date.now();
      });
  }, periodMs);
  timer.unref();
  return () => clearInterval(timer);
}

async function releaseMemory(
  gc: ExposedGc,
  deps: ReaperDeps,
  freed: { reaped: number; releasedServers: number },
): Promise<void> {
  const before = process.memoryUsage();
  const started = performance.now();
  await gc({ type: 'major', execution: 'async', flavor: 'last-resort' });
  const after = process.memoryUsage();
  const seconds = (performance.now() - started) / 1000;
  const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
  deps.metrics.reaperGcSeconds.observe(seconds);
  deps.logger.info(
    {
      ...freed,
      gcMs: Math.round(seconds * 1000),
      rssMiB: [mib(before.rss), mib(after.rss)],
      heapTotalMiB: [mib(before.heapTotal), mib(after.heapTotal)],
    },
    'released the memory of reaped sessions',
  );
}
