// Shared plumbing of the wire-protocol TEST SERVERS (fake-ollama.ts, fake-openai.ts, fake-anthropic.ts). These are stand-ins made
// for tests: they speak the real HTTP protocols byte for byte, but the "model" only echoes. Faults are set from
// code (server.setFault) or over HTTP (POST /__fake/fault), and every request is recorded, including whether the
// client went away before the response was complete (GET /__fake/requests).
import { EventEmitter, once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

export type Fault =
  | { kind: 'none' }
  /** Wait this long before answering at all (slow or overloaded upstream). */
  | { kind: 'delay'; ms: number }
  /** Answer 429 to the next `times` generation requests, then normally. */
  | { kind: 'rate-limit'; times: number; retryAfterSeconds?: number }
  /** Answer a 5xx to the next `times` generation requests, then normally. */
  | { kind: 'server-error'; times: number; status?: number }
  /** 401 on every request, whatever the key. */
  | { kind: 'unauthorized' }
  /** 200, then bytes that are not the protocol. */
  | { kind: 'malformed' }
  /** Stream `afterTokens` tokens, then never finish (until the client aborts). */
  | { kind: 'hang'; afterTokens: number }
  /** Stream `afterTokens` tokens, then end the response cleanly without the protocol's ending (a proxy cut it). */
  | { kind: 'cut'; afterTokens: number }
  /** An HTML error page instead of the API's JSON, as a proxy in front of the API sends it. */
  | { kind: 'proxy-error'; times: number; status?: number }
  /** Close the TCP connection without an answer (connection reset). */
  | { kind: 'reset'; times: number }
  /**
   * 200, stream `afterTokens` tokens, then the protocol's own in-stream error (an `error` SSE event, an error
   * line) and end. Once per fault: the next generation request answers normally.
   */
  | { kind: 'stream-error'; afterTokens: number; times?: number }
  /**
   * The API's own "input is longer than the model's context window" answer (400), every time. OpenAI and
   * Anthropic only: Ollama truncates the prompt instead of refusing it, so its test server has no such answer.
   */
  | { kind: 'prompt-too-long' };

export interface RecordedRequest {
  id: number;
  method: string;
  path: string;
  body: unknown;
  authorization: string | undefined;
  /** When the request arrived (ms since the epoch). */
  receivedAt: number;
  /** The request's headers as received (lower-case names). */
  headers: IncomingHttpHeaders;
  /** Status the server answered with (0 if it never sent headers). */
  status: number;
  /** The response was sent completely. */
  completed: boolean;
  /** The client closed the connection before the response was complete. */
  aborted: boolean;
}

export interface FakeOptions {
  port?: number;
  host?: string;
  models?: string[];
  /** Fixed answer text; by default the server echoes the last user message. */
  reply?: string;
  /** Pause between streamed tokens, so that streaming is observable. */
  tokenDelayMs?: number;
  /** The only API key accepted (servers that check keys); any key when unset. */
  apiKey?: string;
}

export interface FakeServer {
  url: string;
  port: number;
  models: string[];
  requests: RecordedRequest[];
  setFault(fault: Fault): void;
  /** Resolves with the first recorded request (past or future) that matches. */
  waitForRequest(match: (request: RecordedRequest) => boolean): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  body: unknown;
  record: RecordedRequest;
  /** Aborted when the client goes away. */
  gone: AbortSignal;
}

export interface FakeHooks {
  /** Returns true when it handled the request. */
  handle(exchange: Exchange, state: FakeState): Promise<boolean>;
}

export interface FakeState {
  models: string[];
  fault: Fault;
  reply: string | undefined;
  tokenDelayMs: number;
  apiKey: string | undefined;
}

/** The text the fake "model" produces for a conversation. */
export function answerFor(state: FakeState, messages: unknown): string {
  if (state.reply !== undefined) return state.reply;
  const list = Array.isArray(messages) ? (messages as { role?: string; content?: unknown }[]) : [];
  const lastUser = [...list].reverse().find((message) => message.role === 'user');
  const question = textOf(lastUser?.content);
  const short = question.length > 200 ? `${question.slice(0, 200)}...` : question;
  return `This is the test server answering: ${short}`;
}

/** A message's text: a plain string, or the text parts of a list of content blocks ({type: 'text', text}). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: { type?: unknown; text?: unknown }) =>
      part?.type === 'text' && typeof part.text === 'string' ? part.text : '',
    )
    .join('');
}

/**
 * Whether the generation request in hand should fail mid-stream, and after how many tokens (stream-error fault).
 * Consumes one use of the fault.
 */
export function takeStreamError(state: FakeState): number | undefined {
  const fault = state.fault;
  if (fault.kind !== 'stream-error') return undefined;
  const left = fault.times ?? 1;
  if (left <= 0) return undefined;
  fault.times = left - 1;
  return fault.afterTokens;
}

/** The key a client presented: `x-api-key`, or `Authorization: Bearer <key>`. */
export function presentedKey(req: IncomingMessage): string | undefined {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
}

/** Whether a presented key gets in: there is one, it is the server's key (any when it has none), no 401 fault. */
export function keyAccepted(state: FakeState, presented: string | undefined): boolean {
  return (
    state.fault.kind !== 'unauthorized' && !!presented && (state.apiKey === undefined || presented === state.apiKey)
  );
}

/** Splits text into word-sized tokens that concatenate back to the same text. */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [text];
}

export function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}) {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Waits between tokens; stops early (returns false) when the client is gone. */
export async function pause(ms: number, gone: AbortSignal): Promise<boolean> {
  if (gone.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal: gone });
    return true;
  } catch {
    return false;
  }
}

/** The headers of a streamed answer in the SSE protocols (OpenAI, Anthropic). */
export function startEventStream(res: ServerResponse, headers: Record<string, string> = {}) {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
}

/**
 * Writes the answer token by token in the protocol's framing (`frames.token`), paced by the token delay, and
 * plays the faults that strike mid-stream: `hang` stops writing until the client goes away, `cut` ends the response
 * there, `stream-error` ends it with the protocol's in-stream error (`frames.failure`). Returns true when every
 * token was written (the caller then writes the protocol's ending), false when the response is already over.
 */
export async function streamTokens(
  { res, gone }: Exchange,
  state: FakeState,
  tokens: string[],
  frames: { token(text: string, index: number): string; failure(): string },
): Promise<boolean> {
  const hangAfter = state.fault.kind === 'hang' ? state.fault.afterTokens : Number.POSITIVE_INFINITY;
  const cutAfter = state.fault.kind === 'cut' ? state.fault.afterTokens : Number.POSITIVE_INFINITY;
  const failAfter = takeStreamError(state) ?? Number.POSITIVE_INFINITY;
  for (const [index, token] of tokens.entries()) {
    if (index >= hangAfter) {
      await new Promise((resolve) => gone.addEventListener('abort', resolve, { once: true }));
      return false;
    }
    if (index >= cutAfter) {
      res.end();
      return false;
    }
    if (index >= failAfter) {
      res.end(frames.failure());
      return false;
    }
    if (index > 0 && !(await pause(state.tokenDelayMs, gone))) return false;
    res.write(frames.token(token, index));
  }
  return true;
}

/** Generation faults that apply before any protocol-specific answer. Returns true if one answered. */
export async function applyLeadingFault(
  exchange: Exchange,
  state: FakeState,
  answers: { rateLimited(retryAfter?: number): void; serverError(status: number): void },
): Promise<boolean> {
  const fault = state.fault;
  if (fault.kind === 'delay') {
    if (!(await pause(fault.ms, exchange.gone))) return true;
  }
  if (fault.kind === 'reset' && fault.times > 0) {
    fault.times -= 1;
    exchange.req.socket.destroy();
    return true;
  }
  if (fault.kind === 'rate-limit' && fault.times > 0) {
    fault.times -= 1;
    answers.rateLimited(fault.retryAfterSeconds);
    return true;
  }
  if (fault.kind === 'proxy-error' && fault.times > 0) {
    fault.times -= 1;
    const status = fault.status ?? 502;
    exchange.res.writeHead(status, { 'content-type': 'text/html' });
    exchange.res.end(
      `<html><head><title>${status} Bad Gateway</title></head><body><center><h1>${status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n`,
    );
    return true;
  }
  if (fault.kind === 'server-error' && fault.times > 0) {
    fault.times -= 1;
    answers.serverError(fault.status ?? 500);
    return true;
  }
  return false;
}

export async function startFake(name: string, options: FakeOptions, hooks: FakeHooks): Promise<FakeServer> {
  const state: FakeState = {
    models: [...(options.models ?? [])],
    fault: { kind: 'none' },
    reply: options.reply,
    tokenDelayMs: options.tokenDelayMs ?? 0,
    apiKey: options.apiKey,
  };
  const requests: RecordedRequest[] = [];
  const recorded = new EventEmitter();
  let nextId = 1;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const raw = await readBody(req);
    let body: unknown = raw;
    if (raw && /json/.test(req.headers['content-type'] ?? '')) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = { unparsable: raw };
      }
    }
    const record: RecordedRequest = {
      id: nextId++,
      method: req.method ?? 'GET',
      path: url.pathname,
      body,
      authorization: req.headers.authorization,
      receivedAt: Date.now(),
      headers: req.headers,
      status: 0,
      completed: false,
      aborted: false,
    };
    const control = new AbortController();
    res.on('close', () => {
      record.status = res.headersSent ? res.statusCode : 0;
      record.completed = res.writableFinished;
      record.aborted = !res.writableFinished;
      control.abort();
      recorded.emit('closed', record);
    });
    if (url.pathname.startsWith('/__fake/')) {
      handleControl(url.pathname, req.method ?? 'GET', body, res, state, requests);
      return;
    }
    requests.push(record);
    try {
      const handled = await hooks.handle({ req, res, path: url.pathname, body, record, gone: control.signal }, state);
      if (!handled && !res.headersSent)
        sendJson(res, 404, { error: `${name} test server: no route ${req.method} ${url.pathname}` });
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: String(error) });
      else res.destroy();
    }
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    port,
    get models() {
      return state.models;
    },
    requests,
    setFault(fault) {
      state.fault = { ...fault };
    },
    waitForRequest(match) {
      const done = requests.find((request) => (request.completed || request.aborted) && match(request));
      if (done) return Promise.resolve(done);
      return new Promise((resolve) => {
        const listener = (request: RecordedRequest) => {
          if (match(request)) {
            recorded.off('closed', listener);
            resolve(request);
          }
        };
        recorded.on('closed', listener);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function handleControl(
  path: string,
  method: string,
  body: unknown,
  res: ServerResponse,
  state: FakeState,
  requests: RecordedRequest[],
) {
  if (path === '/__fake/fault' && method === 'POST') {
    state.fault = (body as Fault | undefined)?.kind ? { ...(body as Fault) } : { kind: 'none' };
    return sendJson(res, 200, state.fault);
  }
  if (path === '/__fake/requests' && method === 'GET') return sendJson(res, 200, requests);
  sendJson(res, 404, { error: 'unknown control route' });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `node fake-x.ts --port 11434 --model llama3.2:1b [--model other] [--token-delay-ms 20] [--api-key k]` */
export async function runStandalone(
  name: string,
  start: (options: FakeOptions) => Promise<FakeServer>,
  defaultPort: number,
) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: String(defaultPort) },
      host: { type: 'string', default: '0.0.0.0' },
      model: { type: 'string', multiple: true },
      reply: { type: 'string' },
      'token-delay-ms': { type: 'string', default: '20' },
      'api-key': { type: 'string' },
    },
  });
  const fake = await start({
    port: Number(values.port),
    host: values.host,
    ...(values.model ? { models: values.model } : {}),
    ...(values.reply !== undefined ? { reply: values.reply } : {}),
    tokenDelayMs: Number(values['token-delay-ms']),
    ...(values['api-key'] ? { apiKey: values['api-key'] } : {}),
  });
  console.log(`${name} test server listening on port ${fake.port}, models: ${fake.models.join(', ')}`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
