// Many clients never send DELETE: sessions idle for MCP_SESSION_IDLE_SECONDS with nothing open are closed.
import type { SessionDeps, SessionRegistry } from './registry.ts';

/** Closes the sessions idle for longer than MCP_SESSION_IDLE_SECONDS that have no open request or stream. */
export function reapIdle(
  registry: SessionRegistry,
  deps: Pick<SessionDeps, 'config' | 'logger' | 'metrics'>,
  now = Date.now(),
): number {
  const idleMs = deps.config.mcp.sessionIdleSeconds * 1000;
  let reaped = 0;
  for (const session of [...registry.values()]) {
    if (session.openRequests > 0 || now - session.lastActivity < idleMs) continue;
    reaped++;
    deps.metrics.sessionsReaped.inc({ transport: session.kind });
    const idleSeconds = Math.round((now - session.lastActivity) / 1000);
    deps.logger.info({ sessionId: session.id, transport: session.kind, idleSeconds }, 'reaping idle session');
    void registry.close(session, 'idle');
  }
  return reaped;
}

/** Runs reapIdle periodically (often enough for short idle limits, at most every 30 s); returns the stop function. */
export function startReaper(
  registry: SessionRegistry,
  deps: Pick<SessionDeps, 'config' | 'logger' | 'metrics'>,
): () => void {
  const idleMs = deps.config.mcp.sessionIdleSeconds * 1000;
  const timer = setInterval(() => reapIdle(registry, deps), Math.max(250, Math.min(idleMs / 2, 30_000)));
  timer.unref();
  return () => clearInterval(timer);
}
