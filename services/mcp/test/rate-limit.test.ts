// The per-client rate limit counts with express-rate-limit's store but not its middleware: for the same requests
// from the same addresses, what a client sees (status, the two draft-7 headers, Retry-After, the error body) must
// be what express-rate-limit's own middleware, set up as the service set it up before, answers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it, mock } from 'node:test';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { MemoryStore, rateLimit, type Store } from 'express-rate-limit';
import { loadConfig } from '../src/config/index.ts';
import { answerTooManyRequests, perClientRateLimit, RATE_LIMIT_WINDOW_MS } from '../src/http/middleware/rate-limit.ts';
import { createLogger } from '../src/runtime/logger.ts';
import { createMetrics } from '../src/runtime/metrics.ts';

const LIMIT = 3;
const config = loadConfig({ APP_ENV: 'development', LOG_LEVEL: 'silent', MCP_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
const logger = await createLogger(config);

/** express-rate-limit's middleware with the options the service gave it until the limiter was its own. */
function libraryMiddleware(store: Store): RequestHandler {
  return rateLimit({
    windowMs: RATE_LIMIT_WINDOW_MS,
    limit: LIMIT,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    store,
    validate: false,
    handler: (req, res, _next, options) => {
      const resetTime = (req as { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = resetTime
        ? Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000))
        : Math.ceil(options.windowMs / 1000);
      answerTooManyRequests(req, res, LIMIT, retryAfter);
    },
  });
}

interface Answer {
  status: number;
  policy: string | null;
  rateLimit: string | null;
  retryAfter: string | null;
  contentType: string | null;
  body: string;
}

async function serve(limiter: RequestHandler): Promise<{ server: Server; url: string }> {
  const app = express();
  // The client's address comes from X-Forwarded-For here, so one test can speak from many addresses.
  app.set('trust proxy', true);
  app.use(limiter);
  app.all('/{*path}', (_req, res) => {
    res.json({ ok: true });
  });
  const onError: ErrorRequestHandler = (err: Error, _req, res, _next) => {
    res.status(500).json({ error: err.message });
  };
  app.use(onError);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function ask(url: string, path: string, address: string): Promise<Answer> {
  const res = await fetch(`${url}${path}`, { headers: { 'X-Forwarded-For': address } });
  return {
    status: res.status,
    policy: res.headers.get('ratelimit-policy'),
    rateLimit: res.headers.get('ratelimit'),
    retryAfter: res.headers.get('retry-after'),
    contentType: res.headers.get('content-type'),
    body: await res.text(),
  };
}

/** A store whose count always fails, as a shared store does when its backend is down. */
class FailingStore extends MemoryStore {
  override async increment(): Promise<never> {
    throw new Error('store backend unreachable');
  }
}

describe('the rate limiter answers as express-rate-limit did', () => {
  let ours: { server: Server; url: string };
  let library: { server: Server; url: string };
  before(async () => {
    // Both stores stamp a client's window with Date.now(): one frozen clock gives both the same reset times.
    mock.timers.enable({ apis: ['Date'], now: Date.now() });
    ours = await serve(perClientRateLimit(config, createMetrics(), logger));
    library = await serve(libraryMiddleware(new MemoryStore()));
  });
  after(() => {
    mock.timers.reset();
    ours.server.close();
    library.server.close();
  });

  const same = async (path: string, address: string): Promise<Answer> => {
    const expected = await ask(library.url, path, address);
    const actual = await ask(ours.url, path, address);
    assert.deepEqual(actual, expected, `${address} ${path}`);
    return actual;
  };

  it('counts each address on its own, and answers 429 with Retry-After past the limit, on MCP and REST paths', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push((await same(i % 2 ? '/api/tools' : '/mcp', '192.0.2.1')).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const refused = await same('/api/tools', '192.0.2.1');
    assert.match(refused.contentType ?? '', /^application\/problem\+json/);
    assert.equal(refused.rateLimit, `limit=${LIMIT}, remaining=0, reset=60`);
    assert.equal(refused.retryAfter, '60');
    // Another address has its own count.
    assert.equal((await same('/mcp', '192.0.2.2')).rateLimit, `limit=${LIMIT}, remaining=${LIMIT - 1}, reset=60`);
  });

  it('keys an IPv6 client by its /56, and an IPv4-mapped address as the IPv4 one', async () => {
    const statuses: number[] = [];
    // Four addresses of one /56: one client.
    for (const host of ['1', '2', 'ff', 'abcd']) statuses.push((await same('/mcp', `2001:db8:0:ab00::${host}`)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal((await same('/mcp', '2001:db8:0:ac00::1')).status, 200, 'the next /56 is another client');
    await same('/mcp', '198.51.100.7');
    const mapped = await same('/mcp', '::ffff:198.51.100.7');
    assert.equal(mapped.rateLimit, `limit=${LIMIT}, remaining=${LIMIT - 2}, reset=60`);
  });

  it('a new window starts the count again, with the reset counting down in between', async () => {
    await same('/mcp', '203.0.113.9');
    mock.timers.tick(20_500);
    assert.equal((await same('/mcp', '203.0.113.9')).rateLimit, `limit=${LIMIT}, remaining=${LIMIT - 2}, reset=40`);
    mock.timers.tick(RATE_LIMIT_WINDOW_MS);
    assert.equal((await same('/mcp', '203.0.113.9')).rateLimit, `limit=${LIMIT}, remaining=${LIMIT - 1}, reset=60`);
  });
});

/** A store that counts synchronously (the `Store` interface allows it). */
class SynchronousStore implements Store {
  readonly #clients = new Map<string, { totalHits: number; resetTime: Date }>();
  increment(key: string) {
    const client = this.#clients.get(key) ?? { totalHits: 0, resetTime: new Date(Date.now() + RATE_LIMIT_WINDOW_MS) };
    client.totalHits++;
    this.#clients.set(key, client);
    return { totalHits: client.totalHits, resetTime: client.resetTime };
  }
  decrement() {}
  resetKey(key: string) {
    this.#clients.delete(key);
  }
}

/** A store whose answer is a thenable that is not a native Promise (another promise library, another realm). */
class ThenableStore extends MemoryStore {
  override increment(key: string) {
    const counted = super.increment(key);
    // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise is what this store is for
    return { then: counted.then.bind(counted) } as unknown as ReturnType<MemoryStore['increment']>;
  }
}

describe('stores that answer otherwise than with a native promise', () => {
  before(() => mock.timers.enable({ apis: ['Date'], now: Date.now() }));
  after(() => mock.timers.reset());

  for (const [name, makeStore] of [
    ['synchronously', () => new SynchronousStore()],
    ['with a thenable', () => new ThenableStore()],
  ] as const) {
    it(`a store that answers ${name} counts as with express-rate-limit`, async (t) => {
      const ours = await serve(perClientRateLimit(config, createMetrics(), logger, makeStore()));
      const library = await serve(libraryMiddleware(makeStore()));
      t.after(() => {
        ours.server.close();
        library.server.close();
      });
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT + 2; i++) {
        const expected = await ask(library.url, '/mcp', '192.0.2.1');
        assert.deepEqual(await ask(ours.url, '/mcp', '192.0.2.1'), expected);
        statuses.push(expected.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    });
  }
});

describe('a failing store', () => {
  it('goes to the error handler, as with express-rate-limit', async (t) => {
    const ours = await serve(perClientRateLimit(config, createMetrics(), logger, new FailingStore()));
    const library = await serve(libraryMiddleware(new FailingStore()));
    t.after(() => {
      ours.server.close();
      library.server.close();
    });
    const expected = await ask(library.url, '/mcp', '192.0.2.1');
    assert.equal(expected.status, 500);
    assert.deepEqual(await ask(ours.url, '/mcp', '192.0.2.1'), expected);
  });
});

/** A store whose start fails, at once or later, as a shared store's does when its backend is down. */
class StoreThatCannotStart extends SynchronousStore {
  readonly #failure: 'throws' | 'rejects';
  constructor(failure: 'throws' | 'rejects') {
    super();
    this.#failure = failure;
  }
  init(): Promise<void> {
    if (this.#failure === 'throws') throw new Error('store backend unreachable');
    return Promise.reject(new Error('store backend unreachable'));
  }
}

describe('a store that fails to start', () => {
  for (const failure of ['throws', 'rejects'] as const) {
    it(`(init ${failure}) is logged, and the service goes on counting with it`, async (t) => {
      const lines: { level: string; msg: string; error?: { message?: string } }[] = [];
      const captured = await createLogger(
        { logLevel: 'info', appEnv: 'production', logFormat: 'json' },
        { write: (line: string) => void lines.push(JSON.parse(line)) },
      );
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      t.after(() => process.off('unhandledRejection', onUnhandled));

      const ours = await serve(
        perClientRateLimit(config, createMetrics(), captured, new StoreThatCannotStart(failure)),
      );
      t.after(() => ours.server.close());
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT + 1; i++) statuses.push((await ask(ours.url, '/mcp', '192.0.2.1')).status);
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      // A rejection nobody handles is reported once the turn that made it ends; the requests above took several.
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
      assert.deepEqual(
        lines.map((line) => [line.level, line.msg, line.error?.message]),
        [['error', 'the rate-limit store failed to start', 'store backend unreachable']],
      );
    });
  }
});

describe('MCP_RATE_LIMIT_PER_MINUTE=0', () => {
  it('limits nothing and sends no rate-limit headers', async (t) => {
    const off = loadConfig({ APP_ENV: 'development', LOG_LEVEL: 'silent', MCP_RATE_LIMIT_PER_MINUTE: '0' });
    const ours = await serve(perClientRateLimit(off, createMetrics(), logger));
    t.after(() => ours.server.close());
    for (let i = 0; i < LIMIT + 2; i++) {
      const answer = await ask(ours.url, '/mcp', '192.0.2.1');
      assert.equal(answer.status, 200);
      assert.equal(answer.rateLimit, null);
    }
  });
});
