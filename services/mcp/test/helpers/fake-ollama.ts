// TEST SERVER: the Ollama HTTP API (/api/chat NDJSON streaming, /api/tags, /api/version, /api/show, /api/pull)
// with an echoing "model" and switchable faults. Not Ollama: a stand-in for tests and for the stand-in image.
// Standalone: node fake-ollama.ts --port 11434 --model llama3.2:1b
import { fileURLToPath } from 'node:url';
import {
  answerFor,
  applyLeadingFault,
  type Exchange,
  type FakeOptions,
  type FakeServer,
  type FakeState,
  pause,
  runStandalone,
  sendJson,
  startFake,
  streamTokens,
  tokenize,
} from './fake-llm-common.ts';

export const FAKE_OLLAMA_VERSION = '0.0.0-fake';

export function startFakeOllama(options: FakeOptions = {}): Promise<FakeServer> {
  return startFake('Ollama', { models: ['llama3.2:1b'], ...options }, { handle });
}

/** Ollama resolves "name" to "name:latest". */
function resolveModel(state: FakeState, requested: unknown): string | undefined {
  if (typeof requested !== 'string' || requested === '') return undefined;
  const wanted = requested.includes(':') ? requested : `${requested}:latest`;
  return state.models.find((name) => name === requested || name === wanted);
}

function modelEntry(name: string) {
  return {
    name,
    model: name,
    modified_at: '2026-11-25T00:00:00.000000000Z',
    size: 1_321_098_329,
    digest: 'baf6a787fdffd633537aa2eb51cfd54cb93ff08e28040095462bb63daf552878',
    details: {
      parent_model: '',
      format: 'gguf',
      family: 'llama',
      families: ['llama'],
      parameter_size: '1.2B',
      quantization_level: 'Q8_0',
    },
  };
}

async function handle(exchange: Exchange, state: FakeState): Promise<boolean> {
  const { req, res, path, body } = exchange;
  const method = req.method ?? 'GET';
  if ((method === 'GET' || method === 'HEAD') && path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('Ollama is running');
    return true;
  }
  if (state.fault.kind === 'unauthorized') {
    sendJson(res, 401, { error: 'unauthorized' });
    return true;
  }
  if (method === 'GET' && path === '/api/version') {
    sendJson(res, 200, { version: FAKE_OLLAMA_VERSION });
    return true;
  }
  if (method === 'GET' && path === '/api/tags') {
    if (state.fault.kind === 'delay' && !(await pause(state.fault.ms, exchange.gone))) return true;
    sendJson(res, 200, { models: state.models.map(modelEntry) });
    return true;
  }
  if (method === 'POST' && path === '/api/show') {
    const requested = (body as { model?: unknown; name?: unknown })?.model ?? (body as { name?: unknown })?.name;
    const model = resolveModel(state, requested);
    if (!model) {
      sendJson(res, 404, { error: `model '${String(requested)}' not found` });
      return true;
    }
    sendJson(res, 200, {
      license: '',
      modelfile: `FROM ${model}`,
      parameters: '',
      template: '{{ .Prompt }}',
      details: modelEntry(model).details,
      model_info: { 'general.architecture': 'llama' },
      capabilities: ['completion'],
      modified_at: '2026-11-25T00:00:00.000000000Z',
    });
    return true;
  }
  if (method === 'POST' && path === '/api/pull') {
    return pull(exchange, state);
  }
  if (method === 'POST' && path === '/api/chat') {
    return chat(exchange, state);
  }
  return false;
}

async function pull({ res, body, gone }: Exchange, state: FakeState): Promise<boolean> {
  const { model: requested, stream = true } = (body ?? {}) as { model?: unknown; stream?: boolean };
  if (typeof requested !== 'string' || !requested) {
    sendJson(res, 400, { error: 'model is required' });
    return true;
  }
  const name = requested.includes(':') ? requested : `${requested}:latest`;
  if (!state.models.includes(name)) state.models.push(name);
  if (!stream) {
    sendJson(res, 200, { status: 'success' });
    return true;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const status of ['pulling manifest', 'verifying sha256 digest', 'writing manifest', 'success']) {
    if (!(await pause(state.tokenDelayMs, gone))) return true;
    res.write(`${JSON.stringify({ status })}\n`);
  }
  res.end();
  return true;
}

async function chat(exchange: Exchange, state: FakeState): Promise<boolean> {
  const { res, body, gone } = exchange;
  if (typeof body !== 'object' || body === null || 'unparsable' in body) {
    sendJson(res, 400, { error: 'invalid character in request body' });
    return true;
  }
  const {
    model: requested,
    messages,
    stream = true,
  } = body as { model?: unknown; messages?: unknown; stream?: boolean };
  if (typeof requested !== 'string' || !requested) {
    sendJson(res, 400, { error: 'model is required' });
    return true;
  }
  const answered = await applyLeadingFault(exchange, state, {
    rateLimited: () =>
      sendJson(res, 429, { error: 'server busy, please try again.  maximum pending requests exceeded' }),
    serverError: (status) => sendJson(res, status, { error: 'llama runner process has terminated: exit status 2' }),
  });
  if (answered || gone.aborted) return true;
  const model = resolveModel(state, requested);
  if (!model) {
    // Real Ollama's words for a model that was never pulled.
    sendJson(res, 404, { error: `model "${requested}" not found, try pulling it first` });
    return true;
  }
  const text = answerFor(state, messages);
  const createdAt = () => new Date().toISOString();
  const final = () => ({
    model: requested,
    created_at: createdAt(),
    message: { role: 'assistant', content: '' },
    done: true,
    done_reason: 'stop',
    total_duration: 1_000_000,
    load_duration: 100_000,
    prompt_eval_count: 10,
    prompt_eval_duration: 200_000,
    eval_count: tokenize(text).length,
    eval_duration: 700_000,
  });
  if (!stream) {
    sendJson(res, 200, { ...final(), message: { role: 'assistant', content: text } });
    return true;
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  if (state.fault.kind === 'malformed') {
    res.write(`{"model":"${requested}","message":{"role":"assist\n`);
    res.write('<html><body>502 Bad Gateway</body></html>\n');
    res.end();
    return true;
  }
  const finished = await streamTokens(exchange, state, tokenize(text), {
    token: (content) =>
      `${JSON.stringify({ model: requested, created_at: createdAt(), message: { role: 'assistant', content }, done: false })}\n`,
    // Ollama reports a failure after the 200 as an {"error": ...} line.
    failure: () => `${JSON.stringify({ error: 'llama runner process has terminated: exit status 2' })}\n`,
  });
  if (!finished) return true;
  res.end(`${JSON.stringify(final())}\n`);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runStandalone('Ollama', startFakeOllama, 11434);
}
