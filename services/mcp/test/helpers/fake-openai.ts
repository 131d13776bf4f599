// TEST SERVER: the OpenAI HTTP API (/v1/chat/completions with SSE streaming, /v1/models) with an echoing "model",
// bearer-key checking and switchable faults. Not OpenAI: a stand-in for tests and for the stand-in image.
// Standalone: node fake-openai.ts --port 8080 --model gpt-4o-mini --api-key sk-test
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  answerFor,
  applyLeadingFault,
  type Exchange,
  type FakeOptions,
  type FakeServer,
  type FakeState,
  keyAccepted,
  pause,
  runStandalone,
  sendJson,
  startEventStream,
  startFake,
  streamTokens,
  tokenize,
} from './fake-llm-common.ts';

/** `apiKey`: the only key accepted (as "Authorization: Bearer <key>"); any key when unset. */
export function startFakeOpenAi(options: FakeOptions = {}): Promise<FakeServer> {
  return startFake('OpenAI', { models: ['gpt-4o-mini'], ...options }, { handle });
}

function apiError(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

async function handle(exchange: Exchange, state: FakeState): Promise<boolean> {
  const { req, res, path } = exchange;
  const method = req.method ?? 'GET';
  const route = path.replace(/^\/v1(?=\/)/, '');
  if (route !== '/models' && route !== '/chat/completions') return false;

  const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!keyAccepted(state, presented)) {
    const shown = presented ? `${presented.slice(0, 3)}***${presented.slice(-2)}` : '';
    sendJson(
      res,
      401,
      presented
        ? apiError(
            `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            'invalid_request_error',
            'invalid_api_key',
          )
        : apiError(
            "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            'invalid_request_error',
            null,
          ),
    );
    return true;
  }
  if (method === 'GET' && route === '/models') {
    if (state.fault.kind === 'delay' && !(await pause(state.fault.ms, exchange.gone))) return true;
    sendJson(res, 200, {
      object: 'list',
      data: state.models.map((id) => ({ id, object: 'model', created: 1_715_367_049, owned_by: 'system' })),
    });
    return true;
  }
  if (method === 'POST' && route === '/chat/completions') return completions(exchange, state);
  return false;
}

async function completions(exchange: Exchange, state: FakeState): Promise<boolean> {
  const { res, body, gone } = exchange;
  if (typeof body !== 'object' || body === null || 'unparsable' in body) {
    sendJson(res, 400, apiError('We could not parse the JSON body of your request.', 'invalid_request_error', null));
    return true;
  }
  const { model, messages, stream = false } = body as { model?: unknown; messages?: unknown; stream?: boolean };
  if (typeof model !== 'string' || !model) {
    sendJson(res, 400, apiError('you must provide a model parameter', 'invalid_request_error', null));
    return true;
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    sendJson(
      res,
      400,
      apiError(
        "Invalid 'messages': empty array. Expected an array with minimum length 1.",
        'invalid_request_error',
        'empty_array',
        'messages',
      ),
    );
    return true;
  }
  const answered = await applyLeadingFault(exchange, state, {
    rateLimited: (retryAfter) =>
      sendJson(
        res,
        429,
        apiError(
          `Rate limit reached for ${model} on requests per min (RPM): Limit 3, Used 3, Requested 1.`,
          'requests',
          'rate_limit_exceeded',
        ),
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      ),
    serverError: (status) =>
      sendJson(
        res,
        status,
        apiError('The server had an error while processing your request. Sorry about that!', 'server_error', null),
      ),
  });
  if (answered || gone.aborted) return true;
  if (!state.models.includes(model)) {
    sendJson(
      res,
      404,
      apiError(
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'invalid_request_error',
        'model_not_found',
      ),
    );
    return true;
  }
  if (state.fault.kind === 'prompt-too-long') {
    sendJson(
      res,
      400,
      apiError(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens. Please reduce the length of the messages.",
        'invalid_request_error',
        'context_length_exceeded',
        'messages',
      ),
    );
    return true;
  }

  const text = answerFor(state, messages);
  const tokens = tokenize(text);
  const id = `chatcmpl-${randomUUID().replaceAll('-', '').slice(0, 24)}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = { prompt_tokens: 10, completion_tokens: tokens.length, total_tokens: 10 + tokens.length };
  if (!stream) {
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: text, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage,
      system_fingerprint: null,
    });
    return true;
  }

  startEventStream(res);
  const chunk = (delta: object, finishReason: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`;
  if (state.fault.kind === 'malformed') {
    res.write(`${chunk({ role: 'assistant', content: '' }, null).slice(0, 40)}\n\n`);
    res.end('data: <html>502 Bad Gateway</html>\n\n');
    return true;
  }
  res.write(chunk({ role: 'assistant', content: '', refusal: null }, null));
  const finished = await streamTokens(exchange, state, tokens, {
    token: (content) => chunk({ content }, null),
    // What OpenAI sends when generation fails after the 200: an error object as a data line.
    failure: () =>
      `data: ${JSON.stringify(apiError('The server had an error while processing your request. Sorry about that!', 'server_error', null))}\n\n`,
  });
  if (!finished) return true;
  res.write(chunk({}, 'stop'));
  res.end('data: [DONE]\n\n');
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runStandalone('OpenAI', startFakeOpenAi, 8080);
}
