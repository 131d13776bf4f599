// OpenAI, or any OpenAI-compatible server (vLLM, llama.cpp, LiteLLM...), through the official `openai` npm client:
// /v1/chat/completions (SSE stream) and /v1/models.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { Logger } from 'pino';
import { LLM_DEFAULTS, type OpenAiLlmConfig } from '../config/llm.ts';
import { type CallPolicy, callWithPolicy, probeHealth, streamChat } from './policy.ts';
import { type ChatRequest, LlmError, type LlmProvider, scrubCredentials } from './types.ts';
import { connectionFailure, sdkClientOptions, sentence, unfinishedStream, withoutCredentials } from './upstream.ts';

export function createOpenAiProvider(config: OpenAiLlmConfig, logger: Logger): LlmProvider {
  const baseUrl = withoutCredentials(config.baseUrl);
  const label = baseUrl === LLM_DEFAULTS.openaiBaseUrl ? 'OpenAI' : `OpenAI-compatible server at ${baseUrl}`;
  const notListed = `${sentence(label)} does not list model ${config.model} in /models: check OPENAI_MODEL`;
  const policy: CallPolicy = {
    provider: 'openai',
    label,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    logger,
    // The API key itself is scrubbed too, whatever its shape (an upstream may echo it).
    classify: (error) => withoutKey(classifyOpenAiError(error, label, config.model), config.apiKey.reveal()),
  };

  const client = new OpenAI({
    apiKey: config.apiKey.reveal(),
    baseURL: config.baseUrl,
    ...sdkClientOptions(config, logger, 'openai'),
  });

  const modelIds = async (signal: AbortSignal) => {
    const page = await client.models.list({ signal });
    return page.data.map((model) => model.id);
  };

  return {
    name: 'openai',
    model: config.model,
    baseUrl,

    chat: ({ messages, signal, onToken }: ChatRequest) =>
      streamChat(policy, { signal, onToken }, async (attemptSignal, emit) => {
        const stream = await client.chat.completions.create(
          { model: config.model, messages, stream: true },
          { signal: attemptSignal },
        );
        let finished = false;
        for await (const chunk of stream) {
          for (const choice of chunk.choices ?? []) {
            if (choice.index !== 0) continue;
            emit(choice.delta?.content ?? '');
            if (choice.finish_reason) finished = true;
          }
        }
        // The client ends the stream quietly when it is aborted; make that an error the policy explains.
        attemptSignal.throwIfAborted();
        if (!finished) throw unfinishedStream('openai', label, 'OPENAI_BASE_URL');
      }),

    listModels: (signal) => callWithPolicy(policy, signal, modelIds),

    // Some compatible servers list nothing useful; only an explicit list without our model is a problem. Ollama's
    // /v1/models lists `name:latest` while its chat endpoint takes `name` too: both spellings count.
    health: () =>
      probeHealth(policy, modelIds, (ids) =>
        ids.length > 0 && !ids.includes(config.model) && !ids.includes(`${config.model}:latest`)
          ? { ok: false, reason: notListed }
          : { ok: true },
      ),
  };
}

function classifyOpenAiError(error: unknown, label: string, model: string): LlmError {
  const Label = sentence(label);
  if (error instanceof APIConnectionTimeoutError) {
    return new LlmError('timeout', 'openai', `${Label} did not answer in time`, { cause: error });
  }
  const unreachable = connectionFailure('openai', Label, 'check OPENAI_BASE_URL and the network path to it', error);
  if (unreachable) return unreachable;
  if (error instanceof APIConnectionError) {
    return new LlmError(
      'unreachable',
      'openai',
      `${Label} is not reachable (${error.message}): check OPENAI_BASE_URL`,
      {
        cause: error,
      },
    );
  }
  if (error instanceof APIError) {
    const status = error.status;
    const detail = upstreamDetail(error);
    switch (true) {
      case status === 401:
        return new LlmError('auth', 'openai', `${Label} rejected the API key (401): check OPENAI_API_KEY`, {
          cause: error,
        });
      case status === 403:
        return new LlmError(
          'auth',
          'openai',
          `${Label} refused access (403${detail}): the API key may not be allowed to use model ${model}`,
          { cause: error },
        );
      case status === 404:
        return new LlmError(
          'model_not_found',
          'openai',
          `${Label} does not know model ${model} (404): check OPENAI_MODEL`,
          {
            cause: error,
          },
        );
      case status === 400 && (error as APIError & { code?: unknown }).code === 'context_length_exceeded':
        return new LlmError(
          'context_too_long',
          'openai',
          `${Label} refused the input as longer than model ${model} accepts (400${detail}): send a shorter text`,
          { cause: error },
        );
      case status === 429:
        return new LlmError('rate_limited', 'openai', `${Label} is rate limiting requests (429${detail})`, {
          cause: error,
          retryAfterSeconds: retryAfter(error.headers),
        });
      case status !== undefined && status >= 500:
        return new LlmError('upstream', 'openai', `${Label} failed (${status}${detail})`, { cause: error });
      case status !== undefined:
        return new LlmError('bad_request', 'openai', `${Label} rejected the request (${status}${detail})`, {
          cause: error,
        });
      default:
        // An error event inside the stream: the status line was 200.
        return new LlmError('upstream', 'openai', `${Label} reported an error mid-stream: ${error.message}`, {
          cause: error,
        });
    }
  }
  if (error instanceof SyntaxError) {
    return new LlmError(
      'bad_response',
      'openai',
      `${Label} sent a malformed response stream: check that OPENAI_BASE_URL points at an OpenAI-compatible API`,
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new LlmError('upstream', 'openai', `${Label} failed: ${message}`, { cause: error });
}

/** ": the upstream's own words", shortened; empty when it said nothing useful. */
function upstreamDetail(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  // A JSON error body has a message; anything else (an HTML page from a proxy) is in the client's message text.
  const raw = typeof body?.message === 'string' ? body.message : error.message.replace(/^\d{3}\s*/, '');
  const text = raw
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text && !/^status code/i.test(text) ? `: ${text.slice(0, 200)}` : '';
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds : undefined;
}

function withoutKey(error: LlmError, key: string): LlmError {
  const message = scrubCredentials(error.message, [key]);
  if (message === error.message) return error;
  return new LlmError(error.kind, error.provider, message, {
    cause: error.cause,
    retryAfterSeconds: error.retryAfterSeconds,
  });
}
