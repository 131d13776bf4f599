// Measure 6: latency the service adds between a token reaching it from the LLM and the matching progress
// notification reaching the MCP client. The LLM is the wire-protocol test server
// services/mcp/test/helpers/fake-ollama.ts (a stand-in that speaks Ollama's NDJSON /api/chat), started in
// this process behind a small TCP relay that timestamps every chunk it hands to the service. The MCP client
// (the real SDK client, 2026-07-28) runs in this process too, so both timestamps share one clock.
//   added  = progress notification received by the MCP client − the token's chunk written to the service
//   floor  = the same chunk read by a plain HTTP client through the same relay (one loopback hop, no service)
// Two token paces: 150 ms apart (slower than the service's 100 ms progress batching window, so each token
// is forwarded on its own: the pipeline's own latency) and 20 ms apart (a fast model: tokens are batched by
// design and wait up to 100 ms, which this figure includes).

import { existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { SERVICE_DIR } from '../lib/paths.ts';
import type { NotMeasured, TokenLatencyResult } from '../lib/results.ts';
import { summarize } from '../lib/stats.ts';
import { oursDefault } from '../targets.ts';

const FAKE = join(SERVICE_DIR, 'test', 'helpers', 'fake-ollama.ts');
const MODEL = 'mcp-stack-tiny';
const WORDS =
  'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu one two three four'.split(
    ' ',
  );

interface TokenStamp {
  /** Offset of the token's last character in the whole answer. */
  end: number;
  at: number;
}

/** Relay between the service and the test server, timestamping each /api/chat token as it is passed on. */
function startRelay(
  targetPort: number,
  onTokens: (tokens: string[], at: number) => void,
): Promise<{ server: Server; port: number }> {
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      const at = performance.now();
      const tokens = [...chunk.toString('utf8').matchAll(/"content":"((?:[^"\\]|\\.)*)"/g)].map(
        (m) => JSON.parse(`"${m[1]}"`) as string,
      );
      if (tokens.length) onTokens(tokens, at);
    });
    upstream.on('end', () => client.end());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

export async function measureTokenLatency(log: (line: string) => void): Promise<TokenLatencyResult | NotMeasured> {
  if (!existsSync(FAKE)) return { measured: false, reason: `the wire-protocol test server ${FAKE} does not exist` };
  const { startFakeOllama } = (await import(
    pathToFileURL(FAKE).href
  )) as typeof import('../../services/mcp/test/helpers/fake-ollama.ts');
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');

  const answer = WORDS.join(' ');
  const results: Record<'spaced' | 'fast', { added: number[]; floor: number[] }> = {
    spaced: { added: [], floor: [] },
    fast: { added: [], floor: [] },
  };
  for (const [pace, delayMs, asks] of [
    ['spaced', 150, 3],
    ['fast', 20, 4],
  ] as const) {
    const fake = await startFakeOllama({ models: [MODEL], reply: answer, tokenDelayMs: delayMs });
    let stamps: TokenStamp[] = [];
    let offset = 0;
    const relay = await startRelay(fake.port, (tokens, at) => {
      for (const t of tokens) {
        offset += t.length;
        stamps.push({ end: offset, at });
      }
    });
    const server = await oursDefault.start({ OLLAMA_BASE_URL: `http://127.0.0.1:${relay.port}`, OLLAMA_MODEL: MODEL });
    try {
      // The floor: the same relay read directly by fetch, no service in between.
      for (let i = 0; i <= asks; i++) {
        const record = i > 0; // the first exchange warms up connections and code paths
        stamps = [];
        offset = 0;
        const response = await fetch(`http://127.0.0.1:${relay.port}/api/chat`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'bench' }] }),
        });
        let received = 0;
        const decoder = new TextDecoder();
        for await (const chunk of response.body!) {
          const at = performance.now();
          for (const m of decoder.decode(chunk, { stream: true }).matchAll(/"content":"((?:[^"\\]|\\.)*)"/g)) {
            received += (JSON.parse(`"${m[1]}"`) as string).length;
            const stamp = stamps.find((s) => s.end === received);
            if (stamp && record) results[pace].floor.push(at - stamp.at);
          }
        }
      }

      const client = new Client(
        { name: 'mcp-stack-bench', version: '0.1.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${oursDefault.port}/mcp`), {
          requestInit: { headers: oursDefault.auth },
        }),
      );
      try {
        for (let i = 0; i <= asks; i++) {
          const record = i > 0;
          stamps = [];
          offset = 0;
          let delivered = 0;
          let matched = 0;
          const result = await client.callTool(
            { name: 'ask', arguments: { question: 'bench' } },
            {
              onprogress: (p) => {
                const at = performance.now();
                delivered += (p.message ?? '').length;
                // Every token that this notification completes was delivered now.
                for (const s of stamps) {
                  if (s.end <= delivered && s.end > matched && record) results[pace].added.push(at - s.at);
                }
                matched = delivered;
              },
              resetTimeoutOnProgress: true,
            },
          );
          if (result.isError) throw new Error(`ask failed: ${JSON.stringify(result.content).slice(0, 300)}`);
          if (matched !== answer.length)
            throw new Error(`progress carried ${matched} of ${answer.length} characters of the answer`);
        }
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
      relay.server.close();
      await fake.close();
    }
    const a = summarize(results[pace].added);
    const f = summarize(results[pace].floor);
    log(
      `  tokens ${delayMs} ms apart: added p50 ${a.p50.toFixed(3)} ms p99 ${a.p99.toFixed(3)} ms (${a.n} tokens); floor p50 ${f.p50.toFixed(3)} ms p99 ${f.p99.toFixed(3)} ms`,
    );
  }
  const spaced = summarize(results.spaced.added);
  const spacedFloor = summarize(results.spaced.floor);
  const fast = summarize(results.fast.added);
  const fastFloor = summarize(results.fast.floor);
  return {
    measured: true,
    how:
      'LLM = fake-ollama.ts (wire-protocol test server, a stand-in) behind a timestamping TCP relay; MCP client = @modelcontextprotocol/client, 2026-07-28, tool ask, ' +
      'service pinned to the server core, relay/test server/client on the load core.',
    tool: 'ask',
    tokens: spaced.n,
    addedP50Ms: spaced.p50,
    addedP99Ms: spaced.p99,
    floorP50Ms: spacedFloor.p50,
    floorP99Ms: spacedFloor.p99,
    fast: {
      tokens: fast.n,
      addedP50Ms: fast.p50,
      addedP99Ms: fast.p99,
      floorP50Ms: fastFloor.p50,
      floorP99Ms: fastFloor.p99,
    },
  };
}
