// Timeout, cancellation and retry rules shared by every provider, so both behave the same way.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { type ChatRequest, HEALTH_TIMEOUT_MS, type HealthStatus, LlmError, type LlmProviderId } from './types.ts';
import { sentence } from './upstream.ts';

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
      return {
        ok: false,
        reason: `${sentence(policy.label)} did not answer the health check within ${HEALTH_TIMEOUT_MS / 1000} s`,
      };
    }
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * A streamed chat call: `attempt` reads one upstream stream and hands each piece of text to `emit`, which passes it
 * on to the caller. Retried (callWithPolicy) only until the first piece has reached the caller.
 */
export function streamChat(
  policy: CallPolicy,
  { signal, onToken }: Pick<ChatRequest, 'signal' | 'onToken'>,
  attempt: (signal: AbortSignal, emit: (piece: string) => void) => Promise<void>,
): Promise<{ text: string }> {
  let streamed = false;
  return callWithPolicy(
    policy,
    signal,
    async (attemptSignal) => {
      let text = '';
      await attempt(attemptSignal, (piece) => {
        if (!piece) return;
        text += piece;
        streamed = true;
        onToken?.(piece);
      });
      return { text };
    },
    () => !streamed,
  );
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
        // The provider's logger already names the provider.
        { kind: error.kind, attempt: attemptNo, backoffMs },
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
