// Ollama through the official `ollama` npm client: /api/chat (NDJSON stream) and /api/tags.
import { Ollama } from 'ollama';
import type { Logger } from 'pino';
import type { OllamaLlmConfig } from '../config/llm.ts';
import { type CallPolicy, callWithPolicy, probeHealth, streamChat } from './policy.ts';
import { type ChatRequest, LlmError, type LlmProvider } from './types.ts';
import { connectionFailure, withoutCredentials } from './upstream.ts';

export function createOllamaProvider(config: OllamaLlmConfig, logger: Logger): LlmProvider {
  const baseUrl = withoutCredentials(config.baseUrl);
  const label = `Ollama at ${baseUrl}`;
  const notPulled = `model ${config.model} is not pulled in ${label}: run make pull-model (or: ollama pull ${config.model})`;
  const policy: CallPolicy = {
    provider: 'ollama',
    label,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    logger,
    classify: (error) => classifyOllamaError(error, label, notPulled),
  };

  // The client takes no per-call signal for non-streamed requests, so each call gets a client whose fetch
  // carries the call's signal (cheap: the client is a thin wrapper around fetch).
  const clientFor = (signal: AbortSignal) =>
    new Ollama({
      host: config.baseUrl,
      fetch: (input, init) =>
        jsonErrorBodies(
          fetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal }),
        ),
    });

  const modelNames = async (signal: AbortSignal) => {
    const { models } = await clientFor(signal).list();
    return models.map((model) => model.name);
  };

  return {
    name: 'ollama',
    model: config.model,
    baseUrl,

    chat: ({ messages, signal, onToken }: ChatRequest) =>
      streamChat(policy, { signal, onToken }, async (attemptSignal, emit) => {
        const stream = await clientFor(attemptSignal).chat({ model: config.model, messages, stream: true });
        for await (const part of stream) emit(part.message?.content ?? '');
      }),

    listModels: (signal) => callWithPolicy(policy, signal, modelNames),

    health: () =>
      probeHealth(policy, modelNames, (names) =>
        hasModel(names, config.model) ? { ok: true } : { ok: false, reason: notPulled },
      ),
  };
}

/**
 * The client console.logs when an error body is not JSON (an HTML page from a proxy, say), which would put a stray
 * line into our JSON log stream. Hand it the same words as Ollama-style JSON instead, tags stripped.
 */
async function jsonErrorBodies(pending: Promise<Response>): Promise<Response> {
  const response = await pending;
  if (response.ok || response.headers.get('content-type')?.includes('application/json')) return response;
  const text = (await response.text().catch(() => ''))
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
  return new Response(JSON.stringify({ error: text || response.statusText || 'no details' }), {
    status: response.status,
    statusText: response.statusText,
    headers: { 'content-type': 'application/json' },
  });
}

/** Ollama lists "llama3.2:latest" for a model asked for as "llama3.2". */
function hasModel(names: string[], model: string): boolean {
  const wanted = model.includes(':') ? model : `${model}:latest`;
  return names.some((name) => name === model || name === wanted);
}

function classifyOllamaError(error: unknown, label: string, notPulled: string): LlmError {
  const unreachable = connectionFailure(
    'ollama',
    label,
    'check that Ollama is running and that OLLAMA_BASE_URL points at it',
    error,
  );
  if (unreachable) return unreachable;

  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { status_code?: unknown }).status_code;
  if (typeof status === 'number') {
    if (status === 404 && /model .*not found|not found.*pull/i.test(message)) {
      return new LlmError('model_not_found', 'ollama', notPulled, { cause: error });
    }
    if (status === 404) {
      return new LlmError(
        'bad_request',
        'ollama',
        `${label} answered 404 (${message}): check that OLLAMA_BASE_URL points at an Ollama server`,
        { cause: error },
      );
    }
    if (status === 429) {
      return new LlmError('rate_limited', 'ollama', `${label} is too busy (429: ${message})`, { cause: error });
    }
    if (status >= 500) {
      return new LlmError('upstream', 'ollama', `${label} failed (${status}: ${message})`, { cause: error });
    }
    if (status === 401 || status === 403) {
      return new LlmError(
        'auth',
        'ollama',
        `${label} refused the request (${status}: ${message}): a proxy in front of Ollama wants credentials`,
        { cause: error },
      );
    }
    return new LlmError('bad_request', 'ollama', `${label} rejected the request (${status}: ${message})`, {
      cause: error,
    });
  }
  // An {"error": "..."} line inside an otherwise fine stream.
  if (/model .*not found/i.test(message)) {
    return new LlmError('model_not_found', 'ollama', notPulled, { cause: error });
  }
  if (/did not receive done|missing body/i.test(message) || error instanceof SyntaxError) {
    return new LlmError(
      'bad_response',
      'ollama',
      `${label} sent a malformed or truncated response stream: check that OLLAMA_BASE_URL points at Ollama ` +
        'and that no proxy in between cuts streams',
      { cause: error },
    );
  }
  return new LlmError('upstream', 'ollama', `${label} failed: ${message}`, { cause: error });
}
