// Timeout, cancellation and retry rules shared by every provider, so both behave the same way.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LlmError, type HealthStatus, type LlmProviderId } from './types.ts';

export interface CallPolicy {
  provider: LlmProviderId;
  /** "Ollama at http://ollama:11434": starts every message about this upstream. */
  label: string;
  timeoutMs: number;
  maxRetries: number;
  logger: Logger;
  /** Turns whatever the client library threw into an actionable LlmError. */
  classify(error: unknown): LlmError;
}

// Below the service's own 3 s readiness deadline, so /readyz shows our reason rather than a generic timeout.
export const HEALTH_TIMEOUT_MS = 2_500;

/**
 * A readiness probe: one attempt with a short deadline (a probe answers now or says why), then `judge` reads the
 * answer. Never throws: every failure becomes the reason /readyz shows.
 */
export async function probeHealth<T>(
  policy: CallPolicy,
  probe: (signal: AbortSignal) => Promise<T>,
  judge: (answer: T) => HealthStatus,
): Promise<HealthStatus> {
  try {
    return judge(await callWithPolicy({ ...policy, maxRetries: 0, timeoutMs: HEALTH_TIMEOUT_MS }, undefined, probe));
  } catch (error) {
    if (error instanceof LlmError && error.kind === 'timeout') {
      return { ok: false, reason: `${sentence(policy.label)} did not answer the health check within ${HEALTH_TIMEOUT_MS / 1000} s` };
    }
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

const BASE_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

/**
 * Runs `attempt` with one deadline for the whole call (retries included), aborting it when the caller's signal
 * fires. Retries only transient failures, and only while `mayRetry()` says so (no retry once text has been
 * streamed to the caller: repeating it would duplicate output).
 */
export async function callWithPolicy<T>(
  policy: CallPolicy,
  callerSignal: AbortSignal | undefined,
  attempt: (signal: AbortSignal) => Promise<T>,
  mayRetry: () => boolean = () => true,
): Promise<T> {
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const signal = callerSignal ? AbortSignal.any([callerSignal, deadline]) : deadline;
  const attempts = policy.maxRetries + 1;

  for (let attemptNo = 1; ; attemptNo++) {
    try {
      signal.throwIfAborted();
      return await attempt(signal);
    } catch (thrown) {
      const error = explain(policy, thrown, callerSignal, deadline);
      if (!error.transient || attemptNo >= attempts || !mayRetry()) {
        if (error.transient && attemptNo > 1) {
          throw new LlmError(error.kind, error.provider, `${error.message} (gave up after ${attemptNo} attempts)`, {
            cause: error.cause,
          });
        }
        throw error;
      }
      const backoffMs = backoff(attemptNo, error.retryAfterSeconds);
      policy.logger.warn(
        { provider: policy.provider, kind: error.kind, attempt: attemptNo, backoffMs },
        `LLM call failed, retrying: ${error.message}`,
      );
      try {
        await sleep(backoffMs, undefined, { signal });
      } catch (sleepAbort) {
        throw explain(policy, sleepAbort, callerSignal, deadline);
      }
    }
  }
}

function explain(
  policy: CallPolicy,
  thrown: unknown,
  callerSignal: AbortSignal | undefined,
  deadline: AbortSignal,
): LlmError {
  // The abort decides the story, whatever the library made of it (AbortError, "terminated", a silent end...).
  if (callerSignal?.aborted) {
    return new LlmError('cancelled', policy.provider, 'the call was cancelled by the client', { cause: thrown });
  }
  if (deadline.aborted) {
    return new LlmError(
      'timeout',
      policy.provider,
      `${policy.label} did not finish within ${Math.round(policy.timeoutMs / 1000)} s ` +
        '(LLM_TIMEOUT_SECONDS): the model may be overloaded or still loading; try again or raise LLM_TIMEOUT_SECONDS',
      { cause: thrown },
    );
  }
  return thrown instanceof LlmError ? thrown : policy.classify(thrown);
}

function backoff(attemptNo: number, retryAfterSeconds: number | undefined): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds >= 0) {
    return Math.min(retryAfterSeconds * 1000, MAX_BACKOFF_MS);
  }
  const exponential = Math.min(BASE_BACKOFF_MS * 2 ** (attemptNo - 1), MAX_BACKOFF_MS);
  return Math.round(exponential * (0.75 + Math.random() * 0.5)); // jitter: callers retrying together spread out
}

/** The socket-level error code (ECONNREFUSED...) somewhere in an error's cause chain, if any. */
export function networkErrorCode(error: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0) {
    const current = queue.shift();
    if (!current || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    const { code, cause, errors } = current as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(code)) return code;
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return undefined;
}

/** LlmError for a failure to reach the upstream at all, or undefined when the error is something else. */
export function connectionFailure(
  provider: LlmProviderId,
  label: string,
  advice: string,
  error: unknown,
): LlmError | undefined {
  const code = networkErrorCode(error);
  if (!code) return undefined;
  const why: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host name not found',
    EAI_AGAIN: 'host name lookup failed',
    EHOSTUNREACH: 'host unreachable',
    ENETUNREACH: 'network unreachable',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection reset',
    UND_ERR_SOCKET: 'connection closed unexpectedly',
  };
  const reason = why[code];
  if (!reason) return undefined;
  return new LlmError('unreachable', provider, `${label} is not reachable (${reason}): ${advice}`, { cause: error });
}

/** Removes user:password@ from a URL before it is shown anywhere. */
export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** First letter upper-case: labels start sentences ("OpenAI-compatible server at ..."). */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
