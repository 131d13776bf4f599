// Runs a tool the same way for MCP and REST: context, metrics, and failures turned into a message plus the HTTP
// status REST answers with. Input must already be validated with the tool's inputSchema.
import { performance } from 'node:perf_hooks';
import type { AppDeps } from '../deps.ts';
import { LlmError, type LlmErrorKind } from '../llm/types.ts';
import { type AnyTool, ToolError, type ToolResult } from './types.ts';

export type ToolOutcome = 'ok' | 'error' | 'cancelled';

export interface ToolFailure {
  /** HTTP status for REST: 502/503/504 when the LLM upstream failed. */
  status: number;
  /** Short, fixed summary (problem+json `title`). */
  title: string;
  /** The actionable sentence (problem+json `detail`, MCP isError text). */
  message: string;
  /** LlmError kind, "tool" for a ToolError, "internal" for a bug. */
  kind: LlmErrorKind | 'tool' | 'internal';
}

export type ToolRun =
  | { outcome: 'ok'; result: ToolResult<unknown> }
  | { outcome: 'error' | 'cancelled'; failure: ToolFailure };

const LLM_STATUS: Record<LlmErrorKind, { status: number; title: string }> = {
  unreachable: { status: 503, title: 'LLM provider not reachable' },
  rate_limited: { status: 503, title: 'LLM provider is rate limiting' },
  model_not_found: { status: 503, title: 'LLM model not available' },
  timeout: { status: 504, title: 'LLM provider timed out' },
  upstream: { status: 502, title: 'LLM provider failed' },
  auth: { status: 502, title: 'LLM provider refused our credentials' },
  context_too_long: { status: 413, title: 'Input too long for the model' },
  bad_request: { status: 502, title: 'LLM provider rejected the request' },
  bad_response: { status: 502, title: 'LLM provider sent a malformed response' },
  cancelled: { status: 499, title: 'Cancelled by the client' },
};

export interface InvokeOptions {
  signal: AbortSignal;
  progress?: (message: string) => Promise<void>;
  /** Where the call came from, for logs: "mcp" or "rest". */
  via: 'mcp' | 'rest';
  /** True once the process is draining: an abort then means the call was abandoned at shutdown, not cancelled. */
  shuttingDown?: () => boolean;
}

// Per tool and caller: the child logger, made once (a child per call costs more than the call of a cheap tool).
const loggers = new WeakMap<AppDeps['logger'], Map<string, AppDeps['logger']>>();
function loggerFor(deps: AppDeps, tool: string, via: InvokeOptions['via']) {
  let byTool = loggers.get(deps.logger);
  if (!byTool) {
    byTool = new Map();
    loggers.set(deps.logger, byTool);
  }
  const key = `${tool} ${via}`;
  let logger = byTool.get(key);
  if (!logger) {
    logger = deps.logger.child({ tool, via });
    byTool.set(key, logger);
  }
  return logger;
}

export async function invokeTool(
  tool: AnyTool,
  input: unknown,
  deps: AppDeps,
  options: InvokeOptions,
): Promise<ToolRun> {
  const logger = loggerFor(deps, tool.name, options.via);
  const started = performance.now();
  let run: ToolRun;
  try {
    const result = await tool.handler(input, {
      signal: options.signal,
      progress: options.progress ?? (async () => {}),
      llm: deps.llm,
      logger,
      deps,
    });
    run = { outcome: 'ok', result };
  } catch (error) {
    const failure = describeFailure(error);
    const outcome = failure.kind === 'cancelled' || options.signal.aborted ? 'cancelled' : 'error';
    if (outcome === 'cancelled' && options.shuttingDown?.())
      logger.warn('tool call abandoned at shutdown (the grace period ended first)');
    else if (outcome === 'cancelled') logger.info('tool call cancelled by the client');
    else if (failure.kind === 'internal') logger.error({ err: error }, 'tool failed unexpectedly');
    else logger.warn({ kind: failure.kind }, `tool failed: ${failure.message}`);
    run = { outcome, failure };
  }
  deps.metrics.toolCalls.labels(tool.name, run.outcome).inc();
  deps.metrics.toolDuration.labels(tool.name).observe((performance.now() - started) / 1000);
  return run;
}

function describeFailure(error: unknown): ToolFailure {
  if (error instanceof LlmError) return { ...LLM_STATUS[error.kind], message: error.message, kind: error.kind };
  if (error instanceof ToolError)
    return { status: error.status, title: 'Tool failed', message: error.message, kind: 'tool' };
  // Unknown errors may carry internals: the caller gets a fixed sentence, the log gets the details.
  return {
    status: 500,
    title: 'Internal error',
    message: 'the tool failed unexpectedly; the service log has the details',
    kind: 'internal',
  };
}
