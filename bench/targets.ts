// The servers under test: our service in each of its modes, the bare-SDK baseline of the same mode,
// and the raw node:http ceiling. Every one runs as its own process pinned to the server core.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { authHeaders, TEST_TOKEN } from '@mcp-stack/test-support/credentials';
import { ECHO_CALL, type ToolCall } from './lib/mcp-wire.ts';
import { BENCH_DIR, SERVICE_DIR } from './lib/paths.ts';
import { type ServerProcess, startPinned } from './lib/proc.ts';
import { discoverOurs } from './measures/discover.ts';

/**
 * ours-lean: our service with the production features the targets keep on switched off (reported, no verdict).
 * floor: the least a server on the SDK's handler can cost (baselines/v2-stateless-floor.ts; reported, no verdict).
 */
export type Kind = 'ours' | 'ours-lean' | 'bare' | 'floor' | 'peer' | 'ceiling';

export interface Target {
  id: string;
  label: string;
  kind: Kind;
  port: number;
  auth: Record<string, string>;
  call: ToolCall;
  start(extraEnv?: Record<string, string>, extraNodeArgs?: string[]): Promise<ServerProcess>;
}

const node = process.execPath;

/** The tool every target is asked to call; chosen once the service's tool list is known (measures/discover.ts). */
let benchCall: ToolCall = ECHO_CALL;
export function setBenchCall(call: ToolCall) {
  benchCall = call;
}

function baseline(id: string, label: string, file: string, port: number, extraArgs: string[] = []): Target {
  return {
    id,
    label,
    kind: id === 'ceiling' ? 'ceiling' : id === 'sdk-floor' ? 'floor' : 'bare',
    port,
    auth: {},
    get call() {
      return benchCall;
    },
    start: (_env, nodeArgs = []) =>
      startPinned({
        name: id,
        port,
        command: node,
        args: [...nodeArgs, join(BENCH_DIR, 'baselines', file), String(port), ...extraArgs],
      }),
  };
}

export const bareStateless = baseline(
  'bare-v2-stateless',
  'bare SDK v2 createMcpHandler (a server per request; 2025 requests via its stateless fallback)',
  'v2-stateless.ts',
  8101,
);
export const sdkFloor = baseline(
  'sdk-floor',
  'SDK floor: createMcpHandler with pooled servers behind plain node:http, no features',
  'v2-stateless-floor.ts',
  8106,
);
export const bareSession = (replies: 'sse' | 'json') =>
  baseline(
    'bare-v2-session',
    `bare SDK v2, 2025 session (NodeStreamableHTTPServerTransport, ${replies} replies)`,
    'v2-session.ts',
    8102,
    [replies],
  );
export const bareLegacySse = baseline(
  'bare-legacy-sse',
  'bare SDK legacy SSE (server-legacy SSEServerTransport)',
  'legacy-sse.ts',
  8103,
);
export const ceiling = baseline('ceiling', 'raw node:http JSON-RPC responder (ceiling)', 'raw-ceiling.ts', 8104);

// ---------------------------------------------------------------- the Python peer
export const FASTMCP_VERSION = '4.1.6';
/** Where bench/peers/setup.sh puts FastMCP's virtualenv (cached per version, like every other slow install). */
export const FASTMCP_VENV = process.env.BENCH_FASTMCP_VENV ?? `/var/cache/mcp-stack/fastmcp-${FASTMCP_VERSION}`;

/** FastMCP, the Python server a user might pick instead: stateless HTTP with JSON replies, the same two tools. */
export const fastmcpPeer: Target = {
  id: 'fastmcp',
  label: `FastMCP ${FASTMCP_VERSION} (Python, stateless_http, JSON replies)`,
  kind: 'peer',
  port: 8105,
  auth: {},
  get call() {
    return benchCall;
  },
  start: () =>
    startPinned({
      name: 'fastmcp',
      port: 8105,
      command: join(FASTMCP_VENV, 'bin', 'python'),
      args: [join(BENCH_DIR, 'peers', 'fastmcp_server.py'), '8105'],
      // Python imports the whole stack at start: seconds on an idle machine, far more on a busy one.
      timeoutMs: 120_000,
    }),
};

/** Why the peer cannot run here, or undefined when its virtualenv is in place. */
export function fastmcpMissing(): string | undefined {
  return existsSync(join(FASTMCP_VENV, 'bin', 'python'))
    ? undefined
    : `no FastMCP virtualenv at ${FASTMCP_VENV}: run bench/peers/setup.sh (make bench does)`;
}

// ---------------------------------------------------------------- ours
// The tests' throwaway bearer token: the bench sends it on every request, as a real client would.
const AUTH = authHeaders();

/**
 * The TypeScript source, run directly (Node strips the types once at load). The image runs the same code bundled
 * (dist/, a few percent less CPU per request: docs/performance.md), but not dist/ by default: a dist/ left from an
 * earlier build may be older than the source, and in a bundle the CPU profile cannot tell packages apart.
 * BENCH_SERVICE_ENTRY=services/mcp/dist/main.js measures a build instead.
 */
export function serviceEntry(): string {
  return process.env.BENCH_SERVICE_ENTRY ?? join(SERVICE_DIR, 'src', 'main.ts');
}

/**
 * Our service as issue 15 measures it: auth on (token sent), logs and metrics on (the default LOG_LEVEL=info writes
 * an access line per request, as JSON in production), the rate limiter active with a limit far above the offered
 * load, session cap and idle timeout high enough for 10,000 sessions. Everything else stays default.
 */
export function oursEnv(port: number, stateless: boolean): Record<string, string> {
  return {
    PORT: String(port),
    MCP_BIND_HOST: '127.0.0.1',
    APP_ENV: 'production',
    MCP_AUTH_TOKEN: TEST_TOKEN,
    MCP_STATELESS: String(stateless),
    // Active (every request counted), never reached: 1,000,000 a minute is ~16,700 req/s from the one client.
    MCP_RATE_LIMIT_PER_MINUTE: '1000000',
    MCP_MAX_SESSIONS: '50000',
    MCP_SESSION_IDLE_SECONDS: '3600',
    // The LLM is never called by the measured tool; the provider only needs a syntactically valid address.
    LLM_PROVIDER: 'ollama',
    OLLAMA_BASE_URL: process.env.BENCH_OLLAMA_BASE_URL ?? 'http://127.0.0.1:9',
    OLLAMA_MODEL: 'mcp-stack-tiny',
  };
}

function ours(
  id: string,
  label: string,
  port: number,
  stateless: boolean,
  settings: Record<string, string> = {},
): Target {
  return {
    id,
    label,
    kind: Object.keys(settings).length === 0 ? 'ours' : 'ours-lean',
    port,
    auth: AUTH,
    get call() {
      return benchCall;
    },
    start: (extraEnv = {}, nodeArgs = []) =>
      startPinned({
        name: id,
        port,
        command: node,
        args: [...nodeArgs, serviceEntry()],
        cwd: SERVICE_DIR,
        env: { ...oursEnv(port, stateless), ...settings, ...extraEnv },
        readyPath: '/healthz',
        timeoutMs: 30_000,
      }),
  };
}

/** Default config: 2026-07-28 per request, 2025 clients in sessions, legacy SSE — all on one port. */
export const oursDefault = ours('ours', 'ours (default config)', 8202, false);
/**
 * The default config with what the bare SDK has no equivalent of switched off: no bearer auth, no access line, no
 * rate limiter, no event store. What is left is the service's own layer (Host/Origin checks, security headers, CORS,
 * request ids, metrics, body limits, the session registry), so its row against the bare SDK's shows what that
 * layer costs, and its row against ours (default config) what the features cost. Reported, never a target.
 */
export const oursLean = ours(
  'ours-lean',
  'ours, features off (no auth, access log, rate limit or resumability)',
  8203,
  false,
  { MCP_AUTH_DISABLED: 'true', LOG_LEVEL: 'warn', MCP_RATE_LIMIT_PER_MINUTE: '0', MCP_RESUMABILITY: 'false' },
);
/** MCP_STATELESS=true: no sessions; 2025 clients are served per request too. */
export const oursStateless = ours('ours-stateless', 'ours (MCP_STATELESS=true)', 8201, true);

/**
 * For the command-line tools (profile.ts, rss-curve.ts): asks our service for the bench call (measures/discover.ts,
 * as run.ts does), then returns the target named `id`.
 */
export async function discoveredTarget(id: string): Promise<Target> {
  const found = await discoverOurs(oursDefault);
  setBenchCall(found.call);
  const targets: Record<string, Target> = {
    ours: oursDefault,
    'ours-stateless': oursStateless,
    'ours-lean': oursLean,
    'bare-v2-stateless': bareStateless,
    'sdk-floor': sdkFloor,
    'bare-v2-session': bareSession(found.sessionReplies),
    'bare-legacy-sse': bareLegacySse,
    ceiling,
  };
  const target = targets[id];
  if (!target) throw new Error(`unknown target ${id}; one of ${Object.keys(targets).join(', ')}`);
  return target;
}
