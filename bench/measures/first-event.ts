// Measure 4: first-event latency over a fresh TCP connection each time — the legacy `/sse` `endpoint` event,
// and a Streamable HTTP `initialize` answered in full. Median and p99 of 200, after 20 unrecorded.
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ACCEPT, initializeBody } from '../lib/mcp-wire.ts';
import { summarize } from '../lib/stats.ts';
import type { Target } from '../targets.ts';

export const SAMPLES = 200;
const WARMUP = 20;

export interface FirstEventResult {
  what: '/sse endpoint event' | 'initialize';
  target: string;
  label: string;
  kind: Target['kind'];
  samples: number;
  p50Ms: number;
  p99Ms: number;
}

/** Sends raw bytes on a new connection and resolves when `done(received)` says the awaited bytes are in. */
function timeExchange(port: number, request: string, done: (received: string) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (done(received)) {
        const elapsed = performance.now() - t0;
        socket.destroy();
        resolve(elapsed);
      } else if (/^HTTP\/1\.1 [45]/.test(received)) {
        socket.destroy();
        reject(new Error(`answered ${received.split('\r\n')[0]}`));
      }
    });
    socket.once('error', reject);
    socket.write(request);
  });
}

function authLines(target: Target): string {
  return Object.entries(target.auth)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
}

export async function measureSseFirstEvent(target: Target): Promise<FirstEventResult> {
  const request = `GET /sse HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nAccept: text/event-stream\r\n${authLines(target)}\r\n`;
  return sample(target, '/sse endpoint event', () =>
    timeExchange(target.port, request, (r) => /event: endpoint\r?\ndata: [^\r\n]+\r?\n/.test(r)),
  );
}

export async function measureInitialize(target: Target): Promise<FirstEventResult> {
  const body = initializeBody();
  const request =
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${target.port}\r\nAccept: ${ACCEPT}\r\nContent-Type: application/json\r\n` +
    `${authLines(target)}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  // Complete when the JSON-RPC result has arrived, whether as a JSON body or an SSE `data:` line.
  return sample(target, 'initialize', () =>
    timeExchange(target.port, request, (r) => /"result":\{.*"protocolVersion".*\}\}/.test(r)),
  );
}

async function sample(
  target: Target,
  what: FirstEventResult['what'],
  once: () => Promise<number>,
): Promise<FirstEventResult> {
  for (let i = 0; i < WARMUP; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) samples.push(await once());
  const s = summarize(samples);
  return { what, target: target.id, label: target.label, kind: target.kind, samples: s.n, p50Ms: s.p50, p99Ms: s.p99 };
}
