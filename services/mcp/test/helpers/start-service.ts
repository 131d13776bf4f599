// Starts the real service (src/main.ts) as a child process on an ephemeral port, as a user would run it, and
// captures everything it logs. Tests talk to it over HTTP with real SDK clients, send it signals, and grep its logs.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { authHeaders, TEST_TOKEN } from '@mcp-stack/test-support/credentials';
import { initializeMessage } from '@mcp-stack/test-support/mcp-wire';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

export { authHeaders, TEST_TOKEN } from '@mcp-stack/test-support/credentials';
export { MCP_ACCEPT } from '@mcp-stack/test-support/mcp-wire';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface RunningService {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  /** http://127.0.0.1:<port>/mcp */
  mcpUrl: string;
  port: number;
  child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  /** Waits (up to 5 s) for a log line matching `match`; logs are written when a response closes, a moment after the client sees it. */
  waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal name) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The environment every test service starts from: nothing inherited but PATH, and an LLM that is not there. */
export function baseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    APP_ENV: 'development',
    PORT: '0',
    MCP_BIND_HOST: '127.0.0.1',
    LOG_LEVEL: 'debug',
    // The tests read the log lines as JSON (development would default to pretty).
    LOG_FORMAT: 'json',
    MCP_AUTH_TOKEN: TEST_TOKEN,
    // Port 9 (discard) on loopback: refused at once, so nothing ever leaves the machine.
    OLLAMA_BASE_URL: 'http://127.0.0.1:9',
    LLM_MAX_RETRIES: '0',
  };
}

/** `node src/main.ts` with baseEnv() and the overrides (undefined removes a variable), its output piped. */
function spawnService(overrides: Record<string, string | undefined>) {
  const env: Record<string, string> = baseEnv();
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `node src/main.ts` and waits for its "listening" log line (so LOG_LEVEL must stay at info or below). */
export async function startService(overrides: Record<string, string | undefined> = {}): Promise<RunningService> {
  const child = spawnService(overrides);
  let output = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const port = await new Promise<number>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /"port":(\d+)[^\n]*"msg":"listening"/.exec(output);
      if (match) {
        // The start deadline ends here: left armed, it killed the service 20 s after spawn, mid-test.
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exited.then(({ code }) => reject(new Error(`service exited (code ${code}) before listening:\n${output}`)));
    timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`service did not report "listening" within 60 s:\n${output}`));
    }, 60_000);
    timer.unref();
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const logs = () =>
    output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    baseUrl,
    mcpUrl: `${baseUrl}/mcp`,
    port,
    child,
    output: () => output,
    logs,
    waitForLog: async (match) => {
      for (let waited = 0; waited <= 5000; waited += 25) {
        const found = logs().find(match);
        if (found) return found;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`no matching log line within 5 s:\n${output}`);
    },
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs the service expecting it to refuse to start; resolves with its exit code and output. */
export async function runToExit(
  overrides: Record<string, string | undefined>,
): Promise<{ code: number | null; output: string }> {
  const child = spawnService(overrides);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, output };
}

/** The raw initialize these tests send unless they name a version: a 2025-06-18 client's. */
export const initializeBody = (protocolVersion = '2025-06-18', id: number | string = 1) =>
  initializeMessage(protocolVersion, id);

/** A v1 SDK client transport for the legacy /sse endpoint, sending the test token on the stream and on each POST. */
export const legacySseTransport = (baseUrl: string) =>
  new SSEClientTransport(new URL(`${baseUrl}/sse`), {
    requestInit: { headers: authHeaders() },
    eventSourceInit: {
      fetch: (url, init) =>
        fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...authHeaders() } }),
    },
  });
