// How an upstream LLM server is named and diagnosed in messages: its URL without credentials, labels that start
// sentences, and network failures turned into an actionable LlmError; and the client options the official SDK
// clients share. Shared by every provider.
import type { Logger } from 'pino';
import { LlmError, type LlmProviderId } from './types.ts';

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

/** A response stream that ended before the model finished: a proxy cut it, or the URL leads to something else. */
export function unfinishedStream(provider: LlmProviderId, label: string, urlVariable: string): LlmError {
  return new LlmError(
    'bad_response',
    provider,
    `${sentence(label)} ended the response stream before the model finished: check ${urlVariable} ` +
      'and any proxy in between',
  );
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

/**
 * What the official `openai` and `@anthropic-ai/sdk` clients are told alike: retries are ours (callWithPolicy:
 * transient failures only, never after text was streamed), our deadline fires first and gives the clearer message,
 * and their warnings and errors go into our logger with their extra arguments under `key`.
 */
export function sdkClientOptions(config: { timeoutMs: number }, logger: Logger, key: string) {
  return {
    maxRetries: 0,
    timeout: config.timeoutMs + 1_000,
    logLevel: 'warn' as const,
    logger: {
      error: (message: string, ...rest: unknown[]) => logger.error({ [key]: rest }, message),
      warn: (message: string, ...rest: unknown[]) => logger.warn({ [key]: rest }, message),
      info: (message: string) => logger.info(message),
      debug: (message: string) => logger.debug(message),
    },
  };
}
