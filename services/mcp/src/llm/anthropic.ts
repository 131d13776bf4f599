// Claude through the official `@anthropic-ai/sdk` client: the Messages API (POST /v1/messages, SSE stream) and the
// models endpoint (GET /v1/models, /v1/models/{id}), which answers without spending tokens.
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import type { Logger } from 'pino';
import { type AnthropicLlmConfig, LLM_DEFAULTS } from '../config/llm.ts';
import { type CallPolicy, callWithPolicy, probeHealth, streamChat } from './policy.ts';
import { type ChatMessage, type ChatRequest, LlmError, type LlmProvider } from './types.ts';
import { connectionFailure, sdkClientOptions, sentence, unfinishedStream, withoutCredentials } from './upstream.ts';

export function createAnthropicProvider(config: AnthropicLlmConfig, logger: Logger): LlmProvider {
  const baseUrl = withoutCredentials(config.baseUrl);
  const label = baseUrl === LLM_DEFAULTS.anthropicBaseUrl ? 'Anthropic' : `Anthropic API at ${baseUrl}`;
  const policy: CallPolicy = {
    provider: 'anthropic',
    label,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    logger,
    classify: (error) => classifyAnthropicError(error, label, config.model),
  };

  const client = new Anthropic({
    apiKey: config.apiKey.reveal(),
    baseURL: config.baseUrl,
    // Everything else the client would read from the environment is decided here (config is read in one place).
    webhookKey: null,
    openTelemetry: false,
    ...sdkClientOptions(config, logger, 'anthropic'),
  });

  const modelIds = async (signal: AbortSignal) => {
    const ids: string[] = [];
    for await (const model of client.models.list({ limit: 1000 }, { signal })) ids.push(model.id);
    return ids;
  };

  return {
    name: 'anthropic',
    model: config.model,
    baseUrl,

    chat({ messages, signal, onToken }: ChatRequest) {
      const { system, turns } = splitSystem(messages);
      return streamChat(policy, { signal, onToken }, async (attemptSignal, emit) => {
        const stream = await client.messages.create(
          {
            model: config.model,
            max_tokens: config.maxTokens,
            ...(system ? { system } : {}),
            messages: turns,
            stream: true,
          },
          { signal: attemptSignal },
        );
        let stopReason: string | null = null;
        let finished = false;
        for await (const event of stream) {
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
            emit(event.delta.text);
          } else if (event.type === 'message_delta') {
            stopReason = event.delta.stop_reason;
          } else if (event.type === 'message_stop') {
            finished = true;
          }
        }
        // The client ends the stream quietly when it is aborted; make that an error the policy explains.
        attemptSignal.throwIfAborted();
        if (!finished) throw unfinishedStream('anthropic', label, 'ANTHROPIC_BASE_URL');
        if (stopReason === 'max_tokens') {
          logger.warn(
            { provider: 'anthropic', maxTokens: config.maxTokens },
            'the answer was cut at ANTHROPIC_MAX_TOKENS; raise it for longer answers',
          );
        }
      });
    },

    listModels: (signal) => callWithPolicy(policy, signal, modelIds),

    // One GET /v1/models/{model}: free, and it also tells whether the key may use this model.
    health: () =>
      probeHealth(
        policy,
        (signal) => client.models.retrieve(config.model, {}, { signal }),
        () => ({ ok: true }),
      ),
  };
}

/** The Messages API takes the system prompt as a field of its own; the conversation holds user/assistant turns. */
function splitSystem(messages: ChatMessage[]) {
  const system = messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n\n');
  const turns = messages
    .filter((message) => message.role !== 'system')
    .map((message) => ({ role: message.role as 'user' | 'assistant', content: message.content }));
  return { system, turns };
}

function classifyAnthropicError(error: unknown, label: string, model: string): LlmError {
  const Label = sentence(label);
  const fail = (kind: LlmError['kind'], message: string, retryAfterSeconds?: number) =>
    new LlmError(kind, 'anthropic', message, {
      cause: error,
      ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    });

  if (error instanceof APIConnectionTimeoutError) return fail('timeout', `${Label} did not answer in time`);
  const unreachable = connectionFailure(
    'anthropic',
    Label,
    'check ANTHROPIC_BASE_URL and the network path to it',
    error,
  );
  if (unreachable) return unreachable;
  if (error instanceof APIConnectionError) {
    return fail('unreachable', `${Label} is not reachable (${error.message}): check ANTHROPIC_BASE_URL`);
  }
  if (error instanceof APIError) {
    const status = error.status;
    // The API's own error type (also carried by `error` events inside a 200 stream); a proxy's page has none.
    const type = error.type;
    const code = status === undefined ? (type ?? 'error event') : String(status);
    const detail = upstreamDetail(error);
    const midStream = status === undefined ? ' mid-stream' : '';
    if (type === 'authentication_error' || status === 401) {
      return fail('auth', `${Label} rejected the API key (${code}): check ANTHROPIC_API_KEY`);
    }
    if (type === 'permission_error' || status === 403) {
      return fail('auth', `${Label} refused access (${code}): the API key may not be allowed to use model ${model}`);
    }
    if (type === 'billing_error' || status === 402) {
      return fail(
        'auth',
        `${Label} refused the request for billing reasons (${code}): check the account's plan and credits`,
      );
    }
    // "model: <name>" is the API's answer for an unknown model; other 404s mean the URL does not lead to the API.
    if (type === 'not_found_error' && /\bmodel\b/i.test(error.apiMessage ?? '')) {
      return fail('model_not_found', `${Label} does not know model ${model} (${code}): check ANTHROPIC_MODEL`);
    }
    if (type === 'rate_limit_error' || status === 429) {
      return fail('rate_limited', `${Label} is rate limiting requests (${code}${detail})`, retryAfter(error.headers));
    }
    if (type === 'overloaded_error' || status === 529) {
      return fail(
        'upstream',
        `${Label} is overloaded (${code})${midStream}: try again in a moment`,
        retryAfter(error.headers),
      );
    }
    if (
      type === 'invalid_request_error' &&
      /prompt is too long|too many tokens|context (window|length)/i.test(error.apiMessage ?? '')
    ) {
      return fail(
        'context_too_long',
        `${Label} refused the input as longer than model ${model} accepts (${code}${detail}): send a shorter text`,
      );
    }
    if (status !== undefined && status >= 500) return fail('upstream', `${Label} failed (${status}${detail})`);
    if (status === 404) {
      return fail(
        'bad_request',
        `${Label} answered 404${detail}: check that ANTHROPIC_BASE_URL points at the Anthropic API`,
      );
    }
    if (status !== undefined) return fail('bad_request', `${Label} rejected the request (${status}${detail})`);
    // Any other `error` event after the 200 (api_error...): the service failed while generating.
    return fail('upstream', `${Label} reported an error mid-stream (${code}${detail})`);
  }
  if (error instanceof SyntaxError) {
    return fail(
      'bad_response',
      `${Label} sent a malformed response stream: check that ANTHROPIC_BASE_URL points at the Anthropic API`,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return fail('upstream', `${Label} failed: ${message}`);
}

/** ": the upstream's own words", shortened; empty when it said nothing useful. Never echoes request headers. */
function upstreamDetail(error: APIError): string {
  // A JSON error body has a message; anything else (an HTML page from a proxy) is in the client's message text.
  const raw = error.apiMessage ?? error.message.replace(/^\d{3}\s*/, '');
  const text = raw
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text && !/^status code|^\(no status code/i.test(text) ? `: ${text.slice(0, 200)}` : '';
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const milliseconds = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds / 1000;
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds;
  const date = Date.parse(value); // the HTTP-date form
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined;
}
