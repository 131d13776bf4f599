// All of the service's environment, parsed once at start with zod and handed down typed. Nothing else in the
// service reads process.env. A bad value stops the process with one line per problem (see ConfigError).
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatLlmConfigIssues, llmConfigSchema, Secret, type LlmConfig } from './llm.ts';

export const APP_ENVS = ['development', 'staging', 'production'] as const;
export type AppEnv = (typeof APP_ENVS)[number];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Hostnames a local server answers to; the default for both allowlists (DNS-rebinding protection). */
export const LOCALHOST_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export interface Config {
  appEnv: AppEnv;
  /** TCP port; 0 picks a free one (tests). */
  port: number;
  /** Address to bind; 0.0.0.0 inside containers, 127.0.0.1 is the safer choice on a laptop. */
  bindHost: string;
  logLevel: (typeof LOG_LEVELS)[number];
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
    /** Express `trust proxy` value: which hops' X-Forwarded-For to believe when finding the client IP. */
    trustProxy: string | boolean;
    metricsPublic: boolean;
  };
  mcp: {
    /** No sessions at all: 2025 clients are served statelessly, GET/DELETE /mcp answer 405 (multi-replica). */
    stateless: boolean;
    sessionIdleSeconds: number;
    maxSessions: number;
    /** SSE keepalive comment interval; 0 disables. */
    keepaliveSeconds: number;
    /** Events kept per session for Last-Event-ID replay. */
    eventStoreMaxEvents: number;
    conformanceFixtures: boolean;
  };
  shutdownGraceSeconds: number;
  llm: LlmConfig;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

// Compose passes unset variables as empty strings (`${VAR:-}`): treat "" as "not set".
const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);
const text = z.preprocess(blankToUndefined, z.string().trim().optional());

const bool = (name: string, fallback: boolean) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: `${name} must be true or false` }))
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .optional()
      .transform((v) => v ?? fallback),
  );

const int = (name: string, min: number, max: number, fallback: number) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\d+$/, `${name} must be a whole number between ${min} and ${max}`)
      .transform(Number)
      .refine((n) => n >= min && n <= max, `${name} must be a whole number between ${min} and ${max}`)
      .optional()
      .transform((v) => v ?? fallback),
  );

const hostList = (name: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((v) => v.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean))
      .refine((hosts) => hosts.every((h) => h === '*' || /^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)$/.test(h)), {
        message: `${name} takes hostnames without scheme or port, comma separated (e.g. localhost,mcp.example.com)`,
      })
      .optional(),
  );

// Origins may be written as full origins (https://app.example.com) or bare hostnames; both mean the hostname.
const originList = z.preprocess(
  blankToUndefined,
  z
    .string()
    .transform((v, ctx) =>
      v
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry) => {
          if (/^[a-z][a-z0-9+.-]*:\/\/\*$/i.test(entry)) return entry.toLowerCase(); // scheme://* (extensions)
          if (entry.includes('://')) {
            if (!URL.canParse(entry)) {
              ctx.addIssue({ code: 'custom', message: `MCP_ALLOWED_ORIGINS: "${entry}" is not a valid origin` });
              return entry;
            }
            return new URL(entry).hostname.toLowerCase().replace(/^([0-9a-f:]+)$/, '[$1]');
          }
          return entry.toLowerCase();
        }),
    )
    .optional(),
);

// One schema per variable, parsed one by one, so every bad value is reported (not only the first kind).
const serviceFields = {
  APP_ENV: z.preprocess(
    blankToUndefined,
    z.enum(APP_ENVS, { error: (i) => `APP_ENV must be development, staging or production (got "${String(i.input)}")` }).default('development'),
  ),
  PORT: int('PORT', 0, 65535, 8000),
  MCP_BIND_HOST: text.transform((v) => v ?? '0.0.0.0'),
  LOG_LEVEL: z.preprocess(
    (v) => (typeof blankToUndefined(v) === 'string' ? String(v).toLowerCase() : undefined),
    z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ),
  MCP_AUTH_DISABLED: bool('MCP_AUTH_DISABLED', false),
  MCP_PUBLIC_URL: text.refine((v) => v === undefined || (/^https?:\/\//.test(v) && URL.canParse(v)), {
    message: 'MCP_PUBLIC_URL must be the http(s) URL clients use for /mcp, e.g. https://mcp.example.com/mcp',
  }),
  MCP_ALLOWED_HOSTS: hostList('MCP_ALLOWED_HOSTS'),
  MCP_ALLOWED_ORIGINS: originList,
  MCP_STATELESS: bool('MCP_STATELESS', false),
  MCP_SESSION_IDLE_SECONDS: int('MCP_SESSION_IDLE_SECONDS', 1, 7 * 24 * 3600, 1800),
  MCP_MAX_SESSIONS: int('MCP_MAX_SESSIONS', 1, 1_000_000, 1000),
  MCP_KEEPALIVE_SECONDS: int('MCP_KEEPALIVE_SECONDS', 0, 3600, 15),
  MCP_EVENT_STORE_MAX_EVENTS: int('MCP_EVENT_STORE_MAX_EVENTS', 0, 1_000_000, 1000),
  MCP_CONFORMANCE_FIXTURES: bool('MCP_CONFORMANCE_FIXTURES', false),
  MCP_RATE_LIMIT_PER_MINUTE: int('MCP_RATE_LIMIT_PER_MINUTE', 0, 1_000_000, 600),
  MCP_MAX_BODY_BYTES: int('MCP_MAX_BODY_BYTES', 1024, 100 * 1024 * 1024, 1024 * 1024),
  MCP_TRUST_PROXY: text.transform((v): string | boolean => {
    if (v === undefined) return 'loopback, linklocal, uniquelocal';
    if (v === 'true') return true;
    if (v === 'false') return false;
    return v;
  }),
  MCP_METRICS_PUBLIC: bool('MCP_METRICS_PUBLIC', false),
  SHUTDOWN_GRACE_SECONDS: int('SHUTDOWN_GRACE_SECONDS', 0, 3600, 20),
};
type ServiceEnv = { [K in keyof typeof serviceFields]: z.output<(typeof serviceFields)[K]> };

const MIN_TOKEN_LENGTH = 16;

/**
 * `NAME_FILE` secrets (compose secrets land in /run/secrets/<name>) are read here. Only the service's own
 * secret is resolved; the LLM part reads OPENAI_API_KEY_FILE itself.
 */
function readTokenFile(env: Record<string, string | undefined>, problems: string[]): string | undefined {
  const direct = blankToUndefined(env.MCP_AUTH_TOKEN) as string | undefined;
  const file = blankToUndefined(env.MCP_AUTH_TOKEN_FILE) as string | undefined;
  if (direct !== undefined && file !== undefined) {
    problems.push('MCP_AUTH_TOKEN_FILE: set either MCP_AUTH_TOKEN or MCP_AUTH_TOKEN_FILE, not both');
    return undefined;
  }
  if (file === undefined) return direct?.trim();
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (!value) problems.push(`MCP_AUTH_TOKEN_FILE: ${file} is empty: put the token in it`);
    return value || undefined;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`MCP_AUTH_TOKEN_FILE: cannot read ${file} (${reason}): mount the secret or unset MCP_AUTH_TOKEN_FILE`);
    return undefined;
  }
}

const withName = (name: string, message: string) => (message.startsWith(name) ? message : `${name}: ${message}`);

function parseServiceEnv(env: Record<string, string | undefined>, problems: string[]): Partial<ServiceEnv> {
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(serviceFields)) {
    const result = (schema as z.ZodType).safeParse(env[name]);
    if (result.success) values[name] = result.data;
    else problems.push(...result.error.issues.map((issue) => withName(name, issue.message)));
  }
  return values as Partial<ServiceEnv>;
}

/** Parses and checks the whole environment; throws ConfigError listing every problem at once. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];
  const token = readTokenFile(env, problems);
  const e = parseServiceEnv(env, problems);
  const llm = llmConfigSchema.safeParse(env);
  if (!llm.success) problems.push(...formatLlmConfigIssues(llm.error));

  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    problems.push(`MCP_AUTH_TOKEN: too short (${token.length} characters); use at least ${MIN_TOKEN_LENGTH}, e.g. openssl rand -hex 32`);
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
  if (problems.length > 0 || !llm.success) throw new ConfigError(problems);
  // Every field parsed (no problem was recorded), so every key is present.

  const c = e as ServiceEnv;
  const authDisabled = c.MCP_AUTH_DISABLED || token === undefined;
  return {
    appEnv: c.APP_ENV,
    port: c.PORT,
    bindHost: c.MCP_BIND_HOST,
    logLevel: c.LOG_LEVEL,
    auth: {
      token: authDisabled ? undefined : new Secret(token as string),
      disabled: authDisabled,
      publicUrl: c.MCP_PUBLIC_URL,
    },
    security: {
      allowedHosts: c.MCP_ALLOWED_HOSTS ?? LOCALHOST_NAMES,
      allowedOrigins: c.MCP_ALLOWED_ORIGINS ?? LOCALHOST_NAMES,
      rateLimitPerMinute: c.MCP_RATE_LIMIT_PER_MINUTE,
      maxBodyBytes: c.MCP_MAX_BODY_BYTES,
      trustProxy: c.MCP_TRUST_PROXY,
      metricsPublic: c.MCP_METRICS_PUBLIC,
    },
    mcp: {
      stateless: c.MCP_STATELESS,
      sessionIdleSeconds: c.MCP_SESSION_IDLE_SECONDS,
      maxSessions: c.MCP_MAX_SESSIONS,
      keepaliveSeconds: c.MCP_KEEPALIVE_SECONDS,
      eventStoreMaxEvents: c.MCP_EVENT_STORE_MAX_EVENTS,
      conformanceFixtures: c.MCP_CONFORMANCE_FIXTURES,
    },
    shutdownGraceSeconds: c.SHUTDOWN_GRACE_SECONDS,
    llm: llm.data,
  };
}
