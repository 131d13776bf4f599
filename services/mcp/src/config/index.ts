// All of the service's environment, parsed once at start with zod and handed down typed. Nothing else in the
// service reads process.env. A bad value stops the process with one line per problem (see ConfigError).
// Every section is written with the helpers of env.ts.
import { z } from 'zod';
import {
  bool,
  ConfigError,
  type Env,
  httpUrl,
  list,
  oneOf,
  parseFields,
  readSecret,
  type Secret,
  text,
  wholeNumber,
} from './env.ts';
import { type LlmConfig, readLlmConfig } from './llm.ts';

export { ConfigError, Secret } from './env.ts';

export const APP_ENVS = ['development', 'staging', 'production'] as const;
export type AppEnv = (typeof APP_ENVS)[number];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['json', 'pretty'] as const;

/** Hostnames a local server answers to; the default for both allowlists (DNS-rebinding protection). */
export const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface Config {
  appEnv: AppEnv;
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** Address to bind; 0.0.0.0 inside containers, 127.0.0.1 is the safer choice on a laptop. */
  bindHost: string;
  logLevel: (typeof LOG_LEVELS)[number];
  /** `pretty` (colours, one readable line per event) for people in development; `json` for log pipelines. */
  logFormat: (typeof LOG_FORMATS)[number];
  auth: {
    /** undefined only when auth is disabled (explicitly, or in development without a token). */
    token: Secret | undefined;
    disabled: boolean;
    /** Public URL of the MCP endpoint, used in the RFC 9728 document; derived per request when unset. */
    publicUrl: string | undefined;
  };
  security: {
    /** Host header allowlist (hostnames, port-agnostic); ['*'] turns the check off. */
    allowedHosts: string[];
    /** Origin allowlist (hostnames, port-agnostic, or `scheme://*`); also the CORS allowlist. */
    allowedOrigins: string[];
    /** Requests per client IP per minute; 0 turns rate limiting off. */
    rateLimitPerMinute: number;
    maxBodyBytes: number;
    /**
     * Express `trust proxy` value: which hops' X-Forwarded-For / X-Forwarded-Proto to believe. false (the default)
     * trusts nothing; a number is how many proxies stand in front (the compose files set 1: Traefik).
     */
    trustProxy: string | boolean | number;
    /** Seconds a client gets to send its request headers, and its whole request (body included). */
    headersTimeoutSeconds: number;
    requestTimeoutSeconds: number;
    metricsPublic: boolean;
  };
  mcp: {
    /** No sessions at all: 2025 clients are served statelessly, GET/DELETE /mcp answer 405 (multi-replica). */
    stateless: boolean;
    sessionIdleSeconds: number;
    maxSessions: number;
    /**
     * A reaper pass that closed at least this many sessions asks V8 for a memory-reducing GC (needs node
     * --expose-gc, which the image sets); 0 never does.
     */
    gcAfterReapSessions: number;
    /** SSE keepalive comment interval; 0 disables. */
    keepaliveSeconds: number;
    /** 2025 sessions keep an event store for Last-Event-ID replay (MCP_RESUMABILITY=false turns it off). */
    resumability: boolean;
    /** Messages kept per session for Last-Event-ID replay (priming events are not kept). */
    eventStoreMaxEvents: number;
    /** Bytes (serialized JSON) those events may take per session, and over all sessions together. */
    eventStoreMaxBytesPerSession: number;
    eventStoreMaxBytesTotal: number;
    conformanceFixtures: boolean;
    /** Serve the 2024-11-05 HTTP+SSE transport (GET /sse + POST /messages); false answers those with a 404. */
    legacySse: boolean;
    /**
     * A legacy SSE stream with no message for this long and no call in flight releases its McpServer (built again
     * on its next message); 0 keeps it while the stream is open.
     */
    legacySseServerIdleSeconds: number;
  };
  shutdownGraceSeconds: number;
  llm: LlmConfig;
}

const hostname = (name: string) => (entry: string) => {
  const host = entry.toLowerCase();
  if (host === '*' || /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)$/.test(host)) return host;
  return {
    problem: `"${entry}" is not a hostname; ${name} takes hostnames without scheme or port, comma separated (e.g. localhost,mcp.example.com)`,
  };
};

// Origins may be written as full origins (https://app.example.com) or bare hostnames; both mean the hostname.
const origin = (entry: string) => {
  if (/^[a-z][a-z0-9+.-]*:\/\/\*$/i.test(entry)) return entry.toLowerCase(); // scheme://* (extensions)
  if (!entry.includes('://')) return entry.toLowerCase();
  if (!URL.canParse(entry)) return { problem: `"${entry}" is not a valid origin` };
  return new URL(entry).hostname.toLowerCase().replace(/^([0-9a-f:]+)$/, '[$1]');
};

const serviceFields = {
  APP_ENV: oneOf('APP_ENV', APP_ENVS, 'development'),
  PORT: wholeNumber('PORT', 0, 65535, 8000),
  MCP_BIND_HOST: text.transform((v) => v ?? '0.0.0.0'),
  LOG_LEVEL: oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
  // Empty: pretty in development, JSON everywhere else.
  LOG_FORMAT: text.pipe(
    z.enum(LOG_FORMATS, { error: (i) => `LOG_FORMAT must be json or pretty (got "${String(i.input)}")` }).optional(),
  ),
  MCP_AUTH_DISABLED: bool('MCP_AUTH_DISABLED', false),
  MCP_PUBLIC_URL: httpUrl(
    'MCP_PUBLIC_URL must be the http(s) URL clients use for /mcp, e.g. https://mcp.example.com/mcp',
  ),
  MCP_ALLOWED_HOSTS: list('MCP_ALLOWED_HOSTS', hostname('MCP_ALLOWED_HOSTS')),
  MCP_ALLOWED_ORIGINS: list('MCP_ALLOWED_ORIGINS', origin),
  MCP_STATELESS: bool('MCP_STATELESS', false),
  MCP_SESSION_IDLE_SECONDS: wholeNumber('MCP_SESSION_IDLE_SECONDS', 1, 7 * 24 * 3600, 1800),
  MCP_MAX_SESSIONS: wholeNumber('MCP_MAX_SESSIONS', 1, 1_000_000, 1000),
  MCP_GC_AFTER_REAP_SESSIONS: wholeNumber('MCP_GC_AFTER_REAP_SESSIONS', 0, 1_000_000, 100),
  MCP_KEEPALIVE_SECONDS: wholeNumber('MCP_KEEPALIVE_SECONDS', 0, 3600, 15),
  MCP_RESUMABILITY: bool('MCP_RESUMABILITY', true),
  MCP_EVENT_STORE_MAX_EVENTS: wholeNumber('MCP_EVENT_STORE_MAX_EVENTS', 0, 1_000_000, 1000),
  MCP_CONFORMANCE_FIXTURES: bool('MCP_CONFORMANCE_FIXTURES', false),
  MCP_LEGACY_SSE: bool('MCP_LEGACY_SSE', true),
  MCP_LEGACY_SSE_SERVER_IDLE_SECONDS: wholeNumber('MCP_LEGACY_SSE_SERVER_IDLE_SECONDS', 0, 7 * 24 * 3600, 30),
  MCP_RATE_LIMIT_PER_MINUTE: wholeNumber('MCP_RATE_LIMIT_PER_MINUTE', 0, 1_000_000, 600),
  // 2 MiB: the largest valid tool input (summarize's 100,000 characters) is 1.2 MB when a client escapes non-ASCII
  // as \uXXXX (Python's json does by default); a 1 MiB limit refused such valid calls with 413.
  MCP_MAX_BODY_BYTES: wholeNumber('MCP_MAX_BODY_BYTES', 1024, 100 * 1024 * 1024, 2 * 1024 * 1024),
  // Unset: trust no proxy (run bare, X-Forwarded-* from anyone who reaches the port would be forgeable).
  MCP_TRUST_PROXY: text.transform((v): string | boolean | number => {
    if (v === undefined || v === 'false' || v === '0') return false;
    if (v === 'true') return true;
    if (/^\d+$/.test(v)) return Number(v);
    return v;
  }),
  MCP_HEADERS_TIMEOUT_SECONDS: wholeNumber('MCP_HEADERS_TIMEOUT_SECONDS', 1, 300, 10),
  MCP_REQUEST_TIMEOUT_SECONDS: wholeNumber('MCP_REQUEST_TIMEOUT_SECONDS', 1, 3600, 30),
  MCP_EVENT_STORE_MAX_BYTES_PER_SESSION: wholeNumber(
    'MCP_EVENT_STORE_MAX_BYTES_PER_SESSION',
    1024,
    1024 ** 3,
    1024 ** 2,
  ),
  MCP_EVENT_STORE_MAX_BYTES_TOTAL: wholeNumber('MCP_EVENT_STORE_MAX_BYTES_TOTAL', 1024, 64 * 1024 ** 3, 64 * 1024 ** 2),
  MCP_METRICS_PUBLIC: bool('MCP_METRICS_PUBLIC', false),
  SHUTDOWN_GRACE_SECONDS: wholeNumber('SHUTDOWN_GRACE_SECONDS', 0, 3600, 20),
} satisfies Record<string, z.ZodType>;
type ServiceEnv = { [K in keyof typeof serviceFields]: z.output<(typeof serviceFields)[K]> };

const MIN_TOKEN_LENGTH = 16;

/** Parses and checks the whole environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const token = readSecret(env, 'MCP_AUTH_TOKEN', 'token', problems);
  const e = parseFields(serviceFields, env, problems);
  const llm = readLlmConfig(env, problems);

  const tokenLength = token?.reveal().length ?? 0;
  if (token !== undefined && tokenLength < MIN_TOKEN_LENGTH) {
    problems.push(
      `MCP_AUTH_TOKEN: too short (${tokenLength} characters); use at least ${MIN_TOKEN_LENGTH}, e.g. openssl rand -hex 32`,
    );
  }
  // Staging runs the production stack and is reachable like it: the same rule.
  if ((e.APP_ENV === 'production' || e.APP_ENV === 'staging') && token === undefined && !e.MCP_AUTH_DISABLED) {
    problems.push(
      `MCP_AUTH_TOKEN: APP_ENV=${e.APP_ENV} needs a token (MCP_AUTH_TOKEN or MCP_AUTH_TOKEN_FILE); ` +
        'set MCP_AUTH_DISABLED=true only if something in front of the service authenticates callers',
    );
  }
  if (e.APP_ENV === 'production' && e.MCP_CONFORMANCE_FIXTURES) {
    problems.push('MCP_CONFORMANCE_FIXTURES: the conformance test tools are refused in production; unset it');
  }
  if (problems.length > 0 || llm === undefined) throw new ConfigError(problems);
  // Every field parsed (no problem was recorded), so every key is present.
  const c = e as ServiceEnv;
  const authDisabled = c.MCP_AUTH_DISABLED || token === undefined;
  return {
    appEnv: c.APP_ENV,
    port: c.PORT,
    bindHost: c.MCP_BIND_HOST,
    logLevel: c.LOG_LEVEL,
    logFormat: c.LOG_FORMAT ?? (c.APP_ENV === 'development' ? 'pretty' : 'json'),
    auth: {
      token: authDisabled ? undefined : token,
      disabled: authDisabled,
      publicUrl: c.MCP_PUBLIC_URL,
    },
    security: {
      allowedHosts: c.MCP_ALLOWED_HOSTS ?? LOCALHOST_NAMES,
      allowedOrigins: c.MCP_ALLOWED_ORIGINS ?? LOCALHOST_NAMES,
      rateLimitPerMinute: c.MCP_RATE_LIMIT_PER_MINUTE,
      maxBodyBytes: c.MCP_MAX_BODY_BYTES,
      trustProxy: c.MCP_TRUST_PROXY,
      headersTimeoutSeconds: c.MCP_HEADERS_TIMEOUT_SECONDS,
      requestTimeoutSeconds: c.MCP_REQUEST_TIMEOUT_SECONDS,
      metricsPublic: c.MCP_METRICS_PUBLIC,
    },
    mcp: {
      stateless: c.MCP_STATELESS,
      sessionIdleSeconds: c.MCP_SESSION_IDLE_SECONDS,
      maxSessions: c.MCP_MAX_SESSIONS,
      gcAfterReapSessions: c.MCP_GC_AFTER_REAP_SESSIONS,
      keepaliveSeconds: c.MCP_KEEPALIVE_SECONDS,
      resumability: c.MCP_RESUMABILITY,
      eventStoreMaxEvents: c.MCP_EVENT_STORE_MAX_EVENTS,
      eventStoreMaxBytesPerSession: c.MCP_EVENT_STORE_MAX_BYTES_PER_SESSION,
      eventStoreMaxBytesTotal: c.MCP_EVENT_STORE_MAX_BYTES_TOTAL,
      conformanceFixtures: c.MCP_CONFORMANCE_FIXTURES,
      legacySse: c.MCP_LEGACY_SSE,
      legacySseServerIdleSeconds: c.MCP_LEGACY_SSE_SERVER_IDLE_SECONDS,
    },
    shutdownGraceSeconds: c.SHUTDOWN_GRACE_SECONDS,
    llm,
  };
}
