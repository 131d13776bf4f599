// JSON-RPC fuzz of /mcp (session-less and inside a 2025 session) and the legacy /messages endpoint: malformed
// bytes, deep nesting, huge values, batches, wrong types and hostile unicode, from a fixed seed so a failure
// replays. Asserts: no answer >= 500, the process never dies, the sessions still work afterwards, and memory
// stays bounded (a loose sanity bound, not a performance target).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSse } from '@mcp-stack/test-support/sse';
import { jsonHeaders, openRawSession, scrapeMetric } from './helpers/hostile.ts';
import { authHeaders, startService } from './helpers/start-service.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x13c0ffee);
const CASES_PER_TARGET = Number(process.env.FUZZ_CASES ?? 400);
const MAX_BODY = 65_536;

/** mulberry32: small, fast, good enough to spread cases; the point is that the sequence is reproducible. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, pick };
}
type Rng = ReturnType<typeof prng>;

const METHODS = [
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/read',
  'resources/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'notifications/cancelled',
  'notifications/initialized',
  'subscriptions/listen',
  'server/discover',
  '',
  '\u0000',
  'x'.repeat(5000),
  '../../etc/passwd',
  '__proto__',
  'constructor',
];
const UNICODE = [
  '\ud800',
  '\udfff',
  '\u202e',
  '\u0000',
  '\ufeff',
  '💥🧨',
  '\u200b',
  'é',
  '\uffff',
  'Ω≈ç√∫',
  '\x1b[31m',
  '\r\n\r\n',
  '%00',
  '"\\',
];

function weirdValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 8 : 11)) {
    case 0:
      return null;
    case 1:
      return rng.pick([true, false]);
    case 2:
      return rng.pick([0, -1, 1e308, -1e-308, Number.MAX_SAFE_INTEGER + 2, 3.14]);
    case 3:
      return rng.pick(UNICODE).repeat(1 + rng.int(50));
    case 4:
      return 'x'.repeat(rng.int(2000));
    case 5:
      return rng.pick(METHODS);
    case 6:
      return { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } };
    case 7:
      return [];
    case 8:
      return Array.from({ length: rng.int(6) }, () => weirdValue(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(5) }, () => [
          rng.pick(['id', 'method', 'params', 'jsonrpc', 'name', 'uri', 'arguments', rng.pick(UNICODE)]),
          weirdValue(rng, depth + 1),
        ]),
      );
  }
}

function message(rng: Rng): Record<string, unknown> {
  const m: Record<string, unknown> = {};
  if (rng.next() < 0.9) m.jsonrpc = rng.next() < 0.8 ? '2.0' : weirdValue(rng);
  if (rng.next() < 0.7) m.id = rng.next() < 0.6 ? rng.int(1000) : weirdValue(rng);
  m.method = rng.next() < 0.7 ? rng.pick(METHODS) : weirdValue(rng);
  if (rng.next() < 0.8)
    m.params =
      rng.next() < 0.5
        ? { name: weirdValue(rng), arguments: weirdValue(rng), uri: weirdValue(rng), _meta: weirdValue(rng) }
        : weirdValue(rng);
  if (rng.next() < 0.1) m.result = weirdValue(rng);
  if (rng.next() < 0.1) m.error = weirdValue(rng);
  return m;
}

/** One fuzz body: bytes as the client sends them, and the Content-Type it claims. */
function fuzzCase(rng: Rng): { body: Buffer | string; type: string } {
  const type =
    rng.next() < 0.9
      ? 'application/json'
      : rng.pick([
          'application/json; charset=utf-16',
          'application/json; charset=utf-8',
          'application/x-json',
          'application/vnd.api+json',
        ]);
  switch (rng.int(8)) {
    case 0: {
      const bytes = Buffer.alloc(rng.int(300));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
      return { body: bytes, type };
    }
    case 1: {
      const whole = JSON.stringify(message(rng));
      return { body: whole.slice(0, rng.int(whole.length)), type };
    }
    case 2: {
      const depth = rng.pick([64, 500, 5_000, 20_000]);
      const open = rng.pick(['[', '{"a":', '{"params":']);
      const close = open === '[' ? ']' : '}';
      const inner = open === '[' ? '' : '1';
      const body =
        rng.next() < 0.5
          ? `${open.repeat(depth)}${inner}${close.repeat(depth)}`
          : `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
      return { body: body.slice(0, MAX_BODY * 2), type };
    }
    case 3: {
      const m = message(rng);
      m.params = { uri: 'u'.repeat(rng.pick([MAX_BODY - 200, MAX_BODY + 10, 30_000])), name: 'x' };
      return { body: JSON.stringify(m), type };
    }
    case 4: {
      const size = rng.pick([0, 1, 2, 50, 1000]);
      return { body: JSON.stringify(Array.from({ length: size }, () => message(rng))).slice(0, MAX_BODY * 2), type };
    }
    case 5:
      return {
        body: JSON.stringify(rng.pick([null, 0, 'str', true, [[]], [null], [1, 2], { jsonrpc: '2.0' }, {}])),
        type,
      };
    case 6: {
      const m = message(rng);
      return { body: JSON.stringify(m).replace(/"/g, () => (rng.next() < 0.02 ? rng.pick(UNICODE) : '"')), type };
    }
    default:
      return { body: JSON.stringify(message(rng)), type };
  }
}

describe('JSON-RPC fuzz of /mcp and /messages', () => {
  it(`seed 0x${SEED.toString(16)}: no 5xx, no crash, sessions survive, memory bounded`, {
    timeout: 600_000,
  }, async (t) => {
    // info, not debug: the access log of every fuzz case would only fill the captured output.
    const svc = await startService({
      LOG_LEVEL: 'info',
      MCP_RATE_LIMIT_PER_MINUTE: '0',
      MCP_MAX_SESSIONS: '100000',
      MCP_MAX_BODY_BYTES: String(MAX_BODY),
    });
    t.after(() => svc.stop());
    const rng = prng(SEED);

    const session = await openRawSession(svc.mcpUrl);
    const legacyControl = new AbortController();
    const legacy = await fetch(`${svc.baseUrl}/sse`, {
      headers: { ...authHeaders(), Accept: 'text/event-stream' },
      signal: legacyControl.signal,
    });
    const frames = readSse(legacy.body!);
    let endpoint: string | undefined;
    // next(), not for-await: leaving a for-await loop cancels the stream, and with it the legacy session.
    while (endpoint === undefined) {
      const next = await frames.nextEvent();
      if (next === undefined) break;
      if (next.event === 'endpoint') endpoint = next.data;
    }
    assert.ok(endpoint, 'legacy endpoint event');
    // Keep draining the legacy stream (answers to /messages arrive there) so it never backs up.
    const drained = (async () => {
      for await (const _ of frames) {
        // discard
      }
    })();

    const rssBefore = (await scrapeMetric(svc.baseUrl, 'process_resident_memory_bytes')) ?? 0;
    const targets: { name: string; url: string; headers: Record<string, string> }[] = [
      { name: 'POST /mcp (no session)', url: svc.mcpUrl, headers: { ...jsonHeaders, ...authHeaders() } },
      { name: 'POST /mcp (2025 session)', url: svc.mcpUrl, headers: session.headers },
      {
        name: 'POST /messages',
        url: new URL(endpoint!, svc.baseUrl).toString(),
        headers: { ...jsonHeaders, ...authHeaders() },
      },
    ];
    const serverErrors: string[] = [];
    const statuses = new Map<number, number>();
    for (const target of targets) {
      for (let i = 0; i < CASES_PER_TARGET; i++) {
        const { body, type } = fuzzCase(rng);
        const controller = new AbortController();
        // A request the server legitimately keeps open (a stream that waits for events) must not stall the fuzz:
        // whatever has not been answered and read within 5 s is dropped (counted as status 0).
        const timer = setTimeout(() => controller.abort(), 5_000);
        try {
          const res = await fetch(target.url, {
            method: 'POST',
            headers: { ...target.headers, 'Content-Type': type },
            body: typeof body === 'string' ? body : new Uint8Array(body),
            signal: controller.signal,
          });
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500)
            serverErrors.push(
              `${target.name} case ${i}: ${res.status} ${(await res.text()).slice(0, 200)} <- ${String(body).slice(0, 120)}`,
            );
          // Streams a fuzzed request may open (SSE answers, listen) are not read to the end: drop them.
          else if ((res.headers.get('content-type') ?? '').includes('event-stream')) controller.abort();
          else await res.arrayBuffer();
        } catch (error) {
          if (!controller.signal.aborted) throw error;
          statuses.set(0, (statuses.get(0) ?? 0) + 1);
        } finally {
          clearTimeout(timer);
        }
        assert.equal(svc.child.exitCode, null, `the service died on ${target.name} case ${i}`);
      }
    }
    assert.deepEqual(serverErrors, [], `answers >= 500 (statuses seen: ${JSON.stringify([...statuses])})`);
    assert.equal((await fetch(`${svc.baseUrl}/healthz`)).status, 200);

    // The session opened before the fuzz still serves calls, and so does the legacy one.
    const list = await fetch(svc.mcpUrl, {
      method: 'POST',
      headers: session.headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 'after-fuzz', method: 'tools/list' }),
    });
    assert.equal(list.status, 200);
    assert.match(await list.text(), /server_info/);
    const legacyPing = await fetch(new URL(endpoint!, svc.baseUrl), {
      method: 'POST',
      headers: { ...jsonHeaders, ...authHeaders() },
      body: '{"jsonrpc":"2.0","id":"p","method":"ping"}',
    });
    assert.equal(legacyPing.status, 202);

    const rssAfter = (await scrapeMetric(svc.baseUrl, 'process_resident_memory_bytes')) ?? 0;
    const growthMiB = (rssAfter - rssBefore) / 2 ** 20;
    t.diagnostic(
      `statuses ${JSON.stringify([...statuses].sort())}; RSS ${Math.round(rssBefore / 2 ** 20)} -> ${Math.round(rssAfter / 2 ** 20)} MiB`,
    );
    assert.ok(growthMiB < 200, `RSS grew by ${growthMiB.toFixed(0)} MiB during the fuzz`);
    legacyControl.abort(); // ends the drain loop's pending read
    await drained.catch(() => undefined);
  });
});
