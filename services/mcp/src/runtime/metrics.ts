// Prometheus metrics on a registry of our own (no global state, so tests can build several apps in one process).
// Counters and histograms are cell metrics (cell-metrics.ts: cheap to record on every request); gauges and the
// process's default metrics are prom-client's.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { CellCounter, CellHistogram } from './cell-metrics.ts';

/** How a client reached us: 2026-07-28 per-request, 2025 Streamable HTTP session, or 2024-11-05 HTTP+SSE. */
export type McpTransportKind = 'streamable-stateless' | 'streamable-session' | 'legacy-sse';

export interface Metrics {
  registry: Registry;
  httpRequests: CellCounter<readonly ['method', 'route', 'status']>;
  httpDuration: CellHistogram<readonly ['method', 'route']>;
  sessionsOpen: Gauge<'transport'>;
  sessionsRejected: CellCounter<readonly ['reason']>;
  sessionsReaped: CellCounter<readonly ['transport']>;
  serversReleased: CellCounter;
  reaperGcSeconds: CellHistogram;
  /** Computed when scraped, from countOpenStreams. */
  streamsOpen: Gauge<'transport'>;
  /** Set by Lifecycle: the open SSE streams by transport. */
  countOpenStreams?: () => Record<McpTransportKind, number>;
  toolCalls: CellCounter<readonly ['tool', 'outcome']>;
  /** Seconds. */
  toolDuration: CellHistogram<readonly ['tool']>;
  rateLimited: CellCounter;
  /** Bytes held by the resumability event stores of all sessions. */
  eventStoreBytes: Gauge;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics: Metrics = {
    registry,
    httpRequests: new CellCounter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new CellHistogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request (for streams: how long the stream stayed open).',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    sessionsOpen: new Gauge({
      name: 'mcp_sessions_open',
      help: 'Open MCP sessions, by transport.',
      labelNames: ['transport'],
      registers: [registry],
    }),
    sessionsRejected: new CellCounter({
      name: 'mcp_sessions_rejected_total',
      help: 'Session requests refused, by reason (limit, unknown, missing).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    sessionsReaped: new CellCounter({
      name: 'mcp_sessions_reaped_total',
      help: 'Sessions closed by the idle reaper, by transport.',
      labelNames: ['transport'],
      registers: [registry],
    }),
    serversReleased: new CellCounter({
      name: 'mcp_legacy_sse_servers_released_total',
      help: 'McpServers of idle legacy SSE streams released (MCP_LEGACY_SSE_SERVER_IDLE_SECONDS); the stream stays open.',
      registers: [registry],
    }),
    reaperGcSeconds: new CellHistogram({
      name: 'mcp_reaper_gc_duration_seconds',
      help: 'Memory-reducing GCs the idle reaper asked for (after MCP_GC_AFTER_REAP_SESSIONS reaped sessions), by pause.',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    streamsOpen: new Gauge({
      name: 'mcp_streams_open',
      help: 'Open SSE streams, by transport.',
      labelNames: ['transport'],
      registers: [registry],
      collect() {
        const counts = metrics.countOpenStreams?.();
        if (counts) for (const [transport, open] of Object.entries(counts)) this.set({ transport }, open);
      },
    }),
    toolCalls: new CellCounter({
      name: 'mcp_tool_calls_total',
      help: 'Tool calls, by tool and outcome (ok, error, cancelled).',
      labelNames: ['tool', 'outcome'],
      registers: [registry],
    }),
    toolDuration: new CellHistogram({
      name: 'mcp_tool_duration_seconds',
      help: 'Tool call duration in seconds, by tool.',
      labelNames: ['tool'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    eventStoreBytes: new Gauge({
      name: 'mcp_event_store_bytes',
      help: 'Bytes (serialized JSON) the 2025 sessions hold for Last-Event-ID replay, all sessions together.',
      registers: [registry],
    }),
    rateLimited: new CellCounter({
      name: 'http_rate_limited_total',
      help: 'Requests refused with 429 by the per-client rate limit.',
      registers: [registry],
    }),
  };
  return metrics;
}
