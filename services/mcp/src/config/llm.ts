// LLM settings, read only from the environment. The service's loadConfig() composes `llmConfigSchema` into
// Config.llm; `loadLlmConfig` exists for code (and tests) that only need this part.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

export const LLM_PROVIDERS = ['ollama', 'openai'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

export const LLM_DEFAULTS = {
  provider: 'ollama',
  ollamaBaseUrl: 'http://localhost:11434',
  ollamaModel: 'llama3.2:1b',
  openaiBaseUrl: 'https://api.openai.com/v1',
  openaiModel: 'gpt-4o-mini',
  timeoutSeconds: 120,
  maxRetries: 2,
} as const;

/**
 * A secret string that stays out of logs: JSON.stringify, util.inspect (pino, console) and template strings all
 * print "[redacted]". Call reveal() only where the value is handed to the client library.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

interface LlmCommon {
  /** Upper bound for one tool call to the model, retries included. */
  timeoutMs: number;
  /** Extra attempts after a transient failure (connection refused/reset, 429, 5xx). 0 disables retries. */
  maxRetries: number;
}
export interface OllamaLlmConfig extends LlmCommon {
  provider: 'ollama';
  baseUrl: string;
  model: string;
}
export interface OpenAiLlmConfig extends LlmCommon {
  provider: 'openai';
  /** https://api.openai.com/v1 or any OpenAI-compatible server (vLLM, llama.cpp, LiteLLM...). */
  baseUrl: string;
  model: string;
  apiKey: Secret;
}
export type LlmConfig = OllamaLlmConfig | OpenAiLlmConfig;

// Compose passes unset variables as empty strings (`${VAR:-}`): treat "" as "not set".
const optionalText = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
  z.string().trim().optional(),
);

const httpUrl = (name: string) =>
  optionalText.pipe(
    z
      .string()
      .refine((value) => /^https?:\/\/[^\s/]/.test(value) && URL.canParse(value), {
        message: `${name} must be an http(s) URL such as http://ollama:11434`,
      })
      .transform((value) => value.replace(/\/+$/, ''))
      .optional(),
  );

const wholeNumber = (name: string, min: number, max: number) =>
  optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, `${name} must be a whole number between ${min} and ${max}`)
      .transform(Number)
      .refine((n) => n >= min && n <= max, `${name} must be a whole number between ${min} and ${max}`)
      .optional(),
  );

/** The environment variables this part reads (other keys pass through untouched). */
export const llmEnvSchema = z.looseObject({
  LLM_PROVIDER: optionalText.pipe(
    z
      .string()
      .transform((value) => value.toLowerCase())
      .pipe(z.enum(LLM_PROVIDERS, { error: (issue) => `LLM_PROVIDER must be "ollama" or "openai" (got "${String(issue.input)}")` }))
      .optional(),
  ),
  OLLAMA_BASE_URL: httpUrl('OLLAMA_BASE_URL'),
  OLLAMA_MODEL: optionalText,
  OPENAI_API_KEY: optionalText,
  OPENAI_API_KEY_FILE: optionalText,
  OPENAI_BASE_URL: httpUrl('OPENAI_BASE_URL'),
  OPENAI_MODEL: optionalText,
  LLM_TIMEOUT_SECONDS: wholeNumber('LLM_TIMEOUT_SECONDS', 1, 3600),
  LLM_MAX_RETRIES: wholeNumber('LLM_MAX_RETRIES', 0, 10),
});

/**
 * Environment -> LlmConfig. Issues carry the variable's name as their path and say what to do, so the service
 * can print one line per problem and stop.
 */
export const llmConfigSchema = llmEnvSchema.transform((env, ctx): LlmConfig => {
  const common: LlmCommon = {
    timeoutMs: (env.LLM_TIMEOUT_SECONDS ?? LLM_DEFAULTS.timeoutSeconds) * 1000,
    maxRetries: env.LLM_MAX_RETRIES ?? LLM_DEFAULTS.maxRetries,
  };
  const provider = env.LLM_PROVIDER ?? LLM_DEFAULTS.provider;
  if (provider === 'ollama') {
    return {
      provider,
      baseUrl: env.OLLAMA_BASE_URL ?? LLM_DEFAULTS.ollamaBaseUrl,
      model: env.OLLAMA_MODEL ?? LLM_DEFAULTS.ollamaModel,
      ...common,
    };
  }

  let apiKey = env.OPENAI_API_KEY;
  if (env.OPENAI_API_KEY && env.OPENAI_API_KEY_FILE) {
    ctx.addIssue({
      code: 'custom',
      path: ['OPENAI_API_KEY_FILE'],
      message: 'set either OPENAI_API_KEY or OPENAI_API_KEY_FILE, not both',
    });
    return z.NEVER;
  }
  if (env.OPENAI_API_KEY_FILE) {
    try {
      apiKey = readFileSync(env.OPENAI_API_KEY_FILE, 'utf8').trim();
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      ctx.addIssue({
        code: 'custom',
        path: ['OPENAI_API_KEY_FILE'],
        message: `cannot read ${env.OPENAI_API_KEY_FILE} (${reason}): mount the secret file or unset OPENAI_API_KEY_FILE`,
      });
      return z.NEVER;
    }
    if (!apiKey) {
      ctx.addIssue({
        code: 'custom',
        path: ['OPENAI_API_KEY_FILE'],
        message: `${env.OPENAI_API_KEY_FILE} is empty: put the API key in it`,
      });
      return z.NEVER;
    }
  }
  if (!apiKey) {
    ctx.addIssue({
      code: 'custom',
      path: ['OPENAI_API_KEY'],
      message:
        'LLM_PROVIDER=openai needs an API key: set OPENAI_API_KEY or OPENAI_API_KEY_FILE ' +
        '(a local OpenAI-compatible server that ignores keys accepts any non-empty value)',
    });
    return z.NEVER;
  }
  return {
    provider,
    baseUrl: env.OPENAI_BASE_URL ?? LLM_DEFAULTS.openaiBaseUrl,
    model: env.OPENAI_MODEL ?? LLM_DEFAULTS.openaiModel,
    apiKey: new Secret(apiKey),
    ...common,
  };
});

/** One line per problem, each naming the variable: `OPENAI_API_KEY: LLM_PROVIDER=openai needs ...`. */
export function formatLlmConfigIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const name = issue.path.map(String).join('.');
    // The message of our own issues already names the variable; keep "NAME: " for the generic ones.
    return name && !issue.message.startsWith(name) ? `${name}: ${issue.message}` : issue.message;
  });
}

export class LlmConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid LLM configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'LlmConfigError';
    this.problems = problems;
  }
}

/** Parses only the LLM part of the environment; throws LlmConfigError listing every problem. */
export function loadLlmConfig(env: Record<string, string | undefined>): LlmConfig {
  const parsed = llmConfigSchema.safeParse(env);
  if (!parsed.success) throw new LlmConfigError(formatLlmConfigIssues(parsed.error));
  return parsed.data;
}
