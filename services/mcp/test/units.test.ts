// Small pieces with behaviour of their own: the bounded event store, the shared JSON Schema cache, config defaults,
// the log line's time, the bearer token check.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { loadConfig } from '../src/config/index.ts';
import { tokenMatcher } from '../src/http/middleware/auth.ts';
import { BoundedEventStore, EventStoreBudget } from '../src/mcp/event-store.ts';
import { withCachedJsonSchema } from '../src/mcp/schema-cache.ts';
import { createLogger, isoTimeOncePerMillisecond } from '../src/runtime/logger.ts';

const roomy = () => new EventStoreBudget({ maxBytesPerSession: 1 << 20, maxBytesTotal: 1 << 26 });
const note = (n: number): JSONRPCMessage => ({ jsonrpc: '2.0', method: 'notifications/message', params: { n } });

async function replay(store: BoundedEventStore, after: string) {
  const seen: number[] = [];
  const stream = await store.replayEventsAfter(after, {
    send: async (_id, message) => {
      seen.push((message as unknown as { params: { n: number } }).params.n);
    },
  });
  return { stream, seen };
}

describe('BoundedEventStore', () => {
  it('replays only the events after Last-Event-ID, on the same stream', async () => {
    const store = new BoundedEventStore({ maxEvents: 100, budget: roomy() });
    const a1 = await store.storeEvent('a', note(1));
    await store.storeEvent('b', note(2));
    await store.storeEvent('a', note(3));
    await store.storeEvent('a', note(4));
    assert.deepEqual(await replay(store, a1), { stream: 'a', seen: [3, 4] });
  });

  it('keeps at most maxEvents, dropping the oldest, and still replays what it holds', async () => {
    const store = new BoundedEventStore({ maxEvents: 3, budget: roomy() });
    const first = await store.storeEvent('a', note(1));
    for (let n = 2; n <= 6; n++) await store.storeEvent('a', note(n));
    assert.equal(store.size, 3);
    assert.deepEqual(await replay(store, first), { stream: 'a', seen: [4, 5, 6] });
  });

  it('keeps what was sent, not the live message object', async () => {
    const store = new BoundedEventStore({ maxEvents: 10, budget: roomy() });
    const first = await store.storeEvent('a', note(1));
    const params = { n: 2 };
    await store.storeEvent('a', { jsonrpc: '2.0', method: 'notifications/message', params });
    params.n = 99;
    assert.deepEqual(await replay(store, first), { stream: 'a', seen: [2] });
  });

  it('keeps nothing for a priming event (an empty message), yet resumes after its id', async () => {
    const store = new BoundedEventStore({ maxEvents: 100, budget: roomy() });
    const priming = await store.storeEvent('a', {} as JSONRPCMessage);
    assert.equal(store.size, 0);
    assert.equal(store.bytes, 0);
    await store.storeEvent('a', note(1));
    await store.storeEvent('b', note(2));
    assert.deepEqual(await replay(store, priming), { stream: 'a', seen: [1] });
  });

  it('over the total budget, evicts the oldest event still held, past those a session already dropped', async () => {
    const size = JSON.stringify(note(1)).length;
    const budget = new EventStoreBudget({ maxBytesPerSession: 1 << 20, maxBytesTotal: size * 2.5 });
    const a = new BoundedEventStore({ maxEvents: 1, budget });
    const b = new BoundedEventStore({ maxEvents: 10, budget });
    await a.storeEvent('a', note(1));
    await a.storeEvent('a', note(2)); // a drops its first event itself
    await b.storeEvent('b', note(3));
    await b.storeEvent('b', note(4)); // over the total: a's second event is now the oldest held
    assert.deepEqual([a.size, b.size, budget.totalBytes], [0, 2, size * 2]);
  });

  it("keeps the shared budget's bookkeeping bounded while sessions drop their own old events", async () => {
    const budget = roomy();
    const stores = [0, 1, 2].map(() => new BoundedEventStore({ maxEvents: 10, budget }));
    for (let n = 0; n < 5000; n++) for (const store of stores) await store.storeEvent('s', note(n));
    assert.equal(
      stores.reduce((sum, s) => sum + s.size, 0),
      30,
    );
    assert.ok(budget.queued <= 2 * 30 + 1024, `the budget tracks ${budget.queued} entries for 30 held events`);
    for (const store of stores) store.dispose();
    assert.equal(budget.totalBytes, 0);
  });

  it('refuses an event id it never issued', async () => {
    const store = new BoundedEventStore({ maxEvents: 3, budget: roomy() });
    await assert.rejects(replay(store, 'made-up'), /Unknown Last-Event-ID/);
  });
});

describe('withCachedJsonSchema', () => {
  it('converts once, returns the same JSON Schema, and still validates', () => {
    const schema = z.object({ question: z.string().min(1) });
    let conversions = 0;
    const standard = schema['~standard'];
    const input = standard.jsonSchema.input;
    // Count the conversions the wrapper asks the underlying schema for.
    Object.defineProperty(schema, '~standard', {
      value: {
        ...standard,
        jsonSchema: {
          ...standard.jsonSchema,
          input: (o: never) => {
            conversions++;
            return input(o);
          },
        },
      },
    });
    const cached = withCachedJsonSchema(schema);
    assert.equal(withCachedJsonSchema(schema), cached, 'one wrapper per schema object');
    const first = cached['~standard'].jsonSchema.input({ target: 'draft-2020-12' });
    const second = cached['~standard'].jsonSchema.input({ target: 'draft-2020-12' });
    assert.equal(conversions, 1);
    assert.equal(first, second);
    assert.deepEqual(first, input({ target: 'draft-2020-12' } as never));
    assert.equal(cached.safeParse({ question: '' }).success, false, 'zod methods still work on the wrapper');
    const result = cached['~standard'].validate({ question: 'why?' });
    assert.ok(!(result instanceof Promise) && !result.issues);
  });
});

describe('loadConfig defaults', () => {
  it('is safe by default: localhost allowlists, keepalive 15 s, sessions on, fixtures off', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8000);
    assert.deepEqual(config.security.allowedHosts, ['localhost', '127.0.0.1', '[::1]']);
    assert.deepEqual(config.security.allowedOrigins, ['localhost', '127.0.0.1', '[::1]']);
    assert.equal(config.mcp.keepaliveSeconds, 15);
    assert.equal(config.mcp.stateless, false);
    assert.equal(config.mcp.conformanceFixtures, false);
    assert.equal(config.security.metricsPublic, false);
    assert.equal(config.auth.disabled, true, 'development without a token runs without auth (and warns)');
  });

  it('reads origins written as full URLs as hostnames, and treats empty values as unset', () => {
    const config = loadConfig({
      MCP_ALLOWED_ORIGINS: 'https://app.example.com, http://[::1]:3000 ,moz-extension://*',
      PORT: '',
      MCP_AUTH_TOKEN: 'x'.repeat(32),
    });
    assert.deepEqual(config.security.allowedOrigins, ['app.example.com', '[::1]', 'moz-extension://*']);
    assert.equal(config.port, 8000);
    assert.equal(config.auth.disabled, false);
    assert.equal(JSON.stringify(config).includes('x'.repeat(32)), false, 'the token does not serialize');
  });

  it('requires a token in staging and production unless auth is disabled explicitly', () => {
    for (const APP_ENV of ['staging', 'production']) {
      assert.throws(
        () => loadConfig({ APP_ENV }),
        (error: Error & { problems?: string[] }) =>
          error.problems?.some((p) => p.startsWith(`MCP_AUTH_TOKEN: APP_ENV=${APP_ENV} needs a token`)) === true,
      );
      assert.equal(loadConfig({ APP_ENV, MCP_AUTH_DISABLED: 'true' }).auth.disabled, true);
    }
  });
});

describe('log line time', () => {
  it("is the millisecond's ISO time, formatted again only when the millisecond changes", () => {
    let ms = Date.UTC(2026, 11, 1, 9, 30, 15, 123);
    const time = isoTimeOncePerMillisecond(() => ms);
    assert.equal(time(), ',"time":"2026-12-01T09:30:15.123Z"');
    const first = time();
    assert.equal(time(), first);
    ms += 1;
    assert.equal(time(), ',"time":"2026-12-01T09:30:15.124Z"');
    ms += 86_400_000;
    assert.equal(time(), ',"time":"2026-12-02T09:30:15.124Z"');
  });

  it('every line carries the time it was logged at', async () => {
    const times: number[] = [];
    const logger = await createLogger(
      { logLevel: 'info', appEnv: 'production', logFormat: 'json' },
      { write: (line: string) => void times.push(Date.parse((JSON.parse(line) as { time: string }).time)) },
    );
    const before = Date.now();
    logger.info('one');
    await new Promise((resolve) => setTimeout(resolve, 20));
    logger.info('two');
    const after = Date.now();
    assert.equal(times.length, 2);
    assert.ok(
      times[0]! >= before && times[1]! - times[0]! >= 10 && times[1]! <= after,
      JSON.stringify({ before, times, after }),
    );
  });
});

describe('bearer token check', () => {
  const secret = 'a'.repeat(16) + 'b'.repeat(16) + 'c'.repeat(16);

  it('accepts the token and nothing near it: another byte, a prefix, a suffix, a padding byte, empty', () => {
    const matches = tokenMatcher(secret);
    assert.equal(matches(secret), true);
    assert.equal(matches(`${secret.slice(0, -1)}d`), false);
    assert.equal(matches(`d${secret.slice(1)}`), false);
    assert.equal(matches(secret.slice(0, -1)), false);
    assert.equal(matches(`${secret}c`), false);
    // The comparison pads both sides with zero bytes; a presented zero byte must not pass for padding.
    assert.equal(matches(`${secret}\0`), false);
    assert.equal(matches(''), false);
    // Called again after refusals: nothing of an earlier value is left in the shared buffer.
    assert.equal(matches(secret), true);
  });

  it('refuses values longer than the compared buffer without failing', () => {
    const matches = tokenMatcher(secret);
    assert.equal(matches(secret + 'x'.repeat(10_000)), false);
    assert.equal(matches('x'.repeat(10_000)), false);
    assert.equal(matches(secret), true);
  });

  it('compares a token longer than the buffer in full, to its last byte', () => {
    const long = 'k'.repeat(300) + 'z';
    const matches = tokenMatcher(long);
    assert.equal(matches(long), true);
    assert.equal(matches(`${long.slice(0, -1)}y`), false);
    assert.equal(matches(long.slice(0, -1)), false);
    assert.equal(matches(`${long}z`), false);
  });

  it('compares bytes, not characters: a non-ASCII token matches itself only', () => {
    const matches = tokenMatcher(`${secret}é`);
    assert.equal(matches(`${secret}é`), true);
    assert.equal(matches(`${secret}e`), false);
    assert.equal(matches(`${secret}\u00c3\u00a9`), false);
  });
});
