// TEST SERVER: the Anthropic Messages API (POST /v1/messages with SSE streaming, GET /v1/models and
// /v1/models/{id}) with an echoing "model", key checking and switchable faults. Not Anthropic: a stand-in that
// speaks the documented wire format (event names, error envelope, status codes, retry-after) for tests and for
// the stand-in image of the prod stack test.
// Standalone: node fake-anthropic.ts --port 8081 --model claude-haiku-5-5 --api-key sk-ant-test
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
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
  presentedKey,
  runStandalone,
  sendJson,
  startEventStream,
  startFake,
  streamTokens,
  tokenize,
} from './fake-llm-common.ts';

export const FAKE_ANTHROPIC_MODEL = 'claude-haiku-5-5';
/** The context window the "prompt is too long" answer quotes. */
const CONTEXT_TOKENS = 200_000;

export function startFakeAnthropic(options: FakeOptions = {}): Promise<FakeServer> {
  return startFake('Anthropic', { models: [FAKE_ANTHROPIC_MODEL], ...options }, { handle });
}

const requestId = () => `req_${randomBytes(12).toString('hex')}`;

/** The Messages API's error envelope, with its request-id header. */
function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
) {
  const id = requestId();
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: id }, { 'request-id': id, ...headers });
}

function modelInfo(id: string) {
  return { type: 'model', id, display_name: `Test stand-in for ${id}`, created_at: '2026-10-01T00:00:00Z' };
}

async function handle(exchange: Exchange, state: FakeState): Promise<boolean> {
  const { req, res, path } = exchange;
  const method = req.method ?? 'GET';
  const isModels = path === '/v1/models' || path.startsWith('/v1/models/');
  if (!isModels && path !== '/v1/messages') return false;

  const presented = presentedKey(req);
  if (!keyAccepted(state, presented)) {
    sendError(res, 401, 'authentication_error', presented ? 'invalid x-api-key' : 'x-api-key header is required');
    return true;
  }
  if (!req.headers['anthropic-version']) {
    sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    return true;
  }
  if (method === 'GET' && isModels) {
    if (state.fault.kind === 'delay' && !(await pause(state.fault.ms, exchange.gone))) return true;
    const id = path === '/v1/models' ? undefined : decodeURIComponent(path.slice('/v1/models/'.length));
    if (id === undefined) {
      sendJson(res, 200, {
        data: state.models.map(modelInfo),
        has_more: false,
        first_id: state.models[0] ?? null,
        last_id: state.models.at(-1) ?? null,
      });
    } else if (state.models.includes(id)) {
      sendJson(res, 200, modelInfo(id));
    } else {
      sendError(res, 404, 'not_found_error', `model: ${id}`);
    }
    return true;
  }
  if (method === 'POST' && path === '/v1/messages') return messages(exchange, state);
  sendError(res, 405, 'invalid_request_error', `Method ${method} not allowed`);
  return true;
}

async function messages(exchange: Exchange, state: FakeState): Promise<boolean> {
  const { res, body, gone } = exchange;
  if (typeof body !== 'object' || body === null || 'unparsable' in body) {
    sendError(res, 400, 'invalid_request_error', 'There was an error parsing the body of your request.');
    return true;
  }
  const request = body as {
    model?: unknown;
    messages?: unknown;
    max_tokens?: unknown;
    stream?: unknown;
    system?: unknown;
  };
  if (typeof request.model !== 'string' || !request.model) {
    sendError(res, 400, 'invalid_request_error', 'model: Field required');
    return true;
  }
  if (typeof request.max_tokens !== 'number' || !Number.isInteger(request.max_tokens) || request.max_tokens < 1) {
    sendError(res, 400, 'invalid_request_error', 'max_tokens: Field required');
    return true;
  }
  const list = Array.isArray(request.messages) ? (request.messages as { role?: unknown }[]) : [];
  if (list.length === 0) {
    sendError(res, 400, 'invalid_request_error', 'messages: at least one message is required');
    return true;
  }
  // The system prompt is a top-level field of its own in this API, not a message.
  if (list.some((message) => message.role !== 'user' && message.role !== 'assistant')) {
    sendError(
      res,
      400,
      'invalid_request_error',
      'messages: roles must be "user" or "assistant"; use the top-level system parameter',
    );
    return true;
  }
  if (list[0]?.role !== 'user') {
    sendError(res, 400, 'invalid_request_error', 'messages: first message must use the "user" role');
    return true;
  }
  const answered = await applyLeadingFault(exchange, state, {
    rateLimited: (retryAfter) =>
      sendError(
        res,
        429,
        'rate_limit_error',
        'This request would exceed the rate limit for your organization of 50 requests per minute. Please retry after the time in the retry-after header.',
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      ),
    serverError: (status) =>
      status === 529
        ? sendError(res, 529, 'overloaded_error', 'Overloaded')
        : sendError(res, status, 'api_error', 'Internal server error'),
  });
  if (answered || gone.aborted) return true;
  const model = request.model;
  if (!state.models.includes(model)) {
    sendError(res, 404, 'not_found_error', `model: ${model}`);
    return true;
  }
  if (state.fault.kind === 'prompt-too-long') {
    sendError(
      res,
      400,
      'invalid_request_error',
      `prompt is too long: ${CONTEXT_TOKENS + 4_096} tokens > ${CONTEXT_TOKENS} maximum`,
    );
    return true;
  }

  const all = tokenize(answerFor(state, request.messages));
  const tokens = all.slice(0, request.max_tokens);
  const stopReason = tokens.length < all.length ? 'max_tokens' : 'end_turn';
  const text = tokens.join('');
  const id = `msg_${randomBytes(12).toString('hex')}`;
  const usage = {
    input_tokens: 12,
    output_tokens: tokens.length,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
  if (request.stream !== true) {
    sendJson(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [{ type: 'text', text }],
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    });
    return true;
  }

  startEventStream(res, { 'request-id': requestId() });
  const event = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
  if (state.fault.kind === 'malformed') {
    res.write(`${event('message_start', { message: { id } }).slice(0, 45)}\n\n`);
    res.end('event: content_block_delta\ndata: <html>502 Bad Gateway</html>\n\n');
    return true;
  }
  res.write(
    event('message_start', {
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
  );
  res.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
  res.write(event('ping', {}));
  const finished = await streamTokens(exchange, state, tokens, {
    token: (text, index) =>
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } }) +
      (index % 8 === 7 ? event('ping', {}) : ''),
    // After the 200 the API reports failures as an `error` event and ends the stream.
    failure: () => event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
  });
  if (!finished) return true;
  res.write(event('content_block_stop', { index: 0 }));
  res.write(
    event('message_delta', {
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: tokens.length },
    }),
  );
  res.end(event('message_stop', {}));
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runStandalone('Anthropic', startFakeAnthropic, 8081);
}
