// Runs Debian's wrk (one thread, pinned to the load core) with bench/wrk/jsonrpc.lua and parses its summary.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR, RAW_DIR } from './paths.ts';
import { run } from './proc.ts';

/** What a load run reports, from either generator (wrk here, sse-load.ts for the legacy SSE transport). */
export interface LoadResult {
  requests: number;
  durationS: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Non-200 answers or bodies without the expected text, plus socket errors. */
  failures: number;
  firstFailure?: string;
  generator: string;
}

export interface WrkOptions {
  label: string;
  url: string;
  body: string;
  headers: Record<string, string>;
  sessions?: string[];
  expect: string;
  connections: number;
  durationS: number;
}

export async function runWrk(options: WrkOptions): Promise<LoadResult> {
  const stem = join(RAW_DIR, `wrk-${options.label.replace(/[^a-zA-Z0-9.-]+/g, '_')}`);
  writeFileSync(`${stem}.body`, options.body);
  writeFileSync(
    `${stem}.headers`,
    `${Object.entries(options.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n')}\n`,
  );
  if (options.sessions) writeFileSync(`${stem}.sessions`, `${options.sessions.join('\n')}\n`);
  const result = await run(
    'wrk',
    [
      '-t1',
      `-c${options.connections}`,
      `-d${options.durationS}s`,
      '--timeout',
      '10s',
      '-s',
      join(BENCH_DIR, 'wrk', 'jsonrpc.lua'),
      options.url,
    ],
    {
      env: {
        BENCH_BODY_FILE: `${stem}.body`,
        BENCH_HEADERS_FILE: `${stem}.headers`,
        BENCH_SESSIONS_FILE: options.sessions ? `${stem}.sessions` : '',
        BENCH_EXPECT: options.expect,
        BENCH_CONNECTIONS: String(options.connections),
      },
      timeoutMs: (options.durationS + 30) * 1000,
    },
  );
  writeFileSync(`${stem}.out`, result.stdout + result.stderr);
  const line = result.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (result.code !== 0 || !line)
    throw new Error(`wrk failed for ${options.label} (exit ${result.code}): ${result.stderr || result.stdout}`);
  const parsed = JSON.parse(line.slice('BENCH_JSON '.length)) as {
    requests: number;
    duration_us: number;
    p50_us: number;
    p90_us: number;
    p99_us: number;
    max_us: number;
    errors: Record<string, number>;
    bad: number;
    first_bad: string;
  };
  const durationS = parsed.duration_us / 1e6;
  const socketErrors = parsed.errors.connect! + parsed.errors.read! + parsed.errors.write! + parsed.errors.timeout!;
  // wrk counts non-2xx in errors.status; our Lua check counts them in `bad` too, so use bad + socket errors.
  return {
    requests: parsed.requests,
    durationS,
    rps: parsed.requests / durationS,
    p50Ms: parsed.p50_us / 1000,
    p90Ms: parsed.p90_us / 1000,
    p99Ms: parsed.p99_us / 1000,
    maxMs: parsed.max_us / 1000,
    failures: parsed.bad + socketErrors,
    firstFailure: parsed.first_bad || (socketErrors ? JSON.stringify(parsed.errors) : undefined),
    generator: 'wrk',
  };
}
