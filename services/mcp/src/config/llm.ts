// The LLM section of the environment: which provider, where, which model, and the call policy. loadConfig()
// composes it into Config.llm.
import { z } from 'zod';
import { type Env, httpUrl, oneOf, parseFields, readSecret, type Secret, text, wholeNumber } from './env.ts';

export const LLM_PROVIDERS = ['ollama', 'openai', 'anthropic'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

export const LLM_DEFAULTS = {
  provider: 'ollama',
  ollamaBaseUrl: 'http://localhost:11434',
  ollamaModel: 'llama3.2:1b',
  openaiBaseUrl: 'https://api.openai.com/v1',
  openaiModel: 'gpt-4o-mini',
  anthropicBaseUrl: 'https://api.anthropic.com',
  anthropicModel: 'claude-haiku-5-5',
  anthropicMaxTokens: 1024,
  timeoutSeconds: 120,
  maxRetries: 2,
} as const;

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
export interface AnthropicLlmConfig extends LlmCommon {
  provider: 'anthropic';
  /** The API root without /v1 (https://api.anthropic.com, or a gateway in front of it). */
  baseUrl: string;
  model: string;
  /** Upper bound on one answer's length in tokens: the Messages API requires one. */
  maxTokens: number;
  apiKey: Secret;
}
export type LlmConfig = OllamaLlmConfig | OpenAiLlmConfig | AnthropicLlmConfig;

const baseUrl = (name: string, example: string) =>
  httpUrl(`${name} must be an http(s) URL such as ${example}`, { trimTrailingSlash: true });

const llmFields = {
  LLM_PROVIDER: oneOf('LLM_PROVIDER', LLM_PROVIDERS, LLM_DEFAULTS.provider),
  OLLAMA_BASE_URL: baseUrl('OLLAMA_BASE_URL', 'http://ollama:11434'),
  OLLAMA_MODEL: text,
  // The OpenAI client sends OPENAI_API_KEY as a bearer token and ignores URL credentials, so every call would fail.
  OPENAI_BASE_URL: baseUrl('OPENAI_BASE_URL', 'https://api.openai.com/v1').refine(
    (value) => value === undefined || (new URL(value).username === '' && new URL(value).password === ''),
    'OPENAI_BASE_URL must not contain user:password@ (the key goes in OPENAI_API_KEY or OPENAI_API_KEY_FILE)',
  ),
  OPENAI_MODEL: text,
  ANTHROPIC_BASE_URL: baseUrl('ANTHROPIC_BASE_URL', 'https://api.anthropic.com').pipe(
    z
      .string()
      // The key has its own variables; a URL with credentials in it would end up in logs and server_info.
      .refine((value) => !/^https?:\/\/[^/]*@/.test(value), {
        message:
          'ANTHROPIC_BASE_URL must not contain user:password@: put the key in ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_FILE',
      })
      // The client appends /v1/messages itself.
      .refine((value) => !/\/v1$/.test(value), {
        message: 'ANTHROPIC_BASE_URL is the API root without /v1, such as https://api.anthropic.com',
      })
      .optional(),
  ),
  ANTHROPIC_MODEL: text,
  ANTHROPIC_MAX_TOKENS: wholeNumber('ANTHROPIC_MAX_TOKENS', 1, 1_000_000, LLM_DEFAULTS.anthropicMaxTokens),
  LLM_TIMEOUT_SECONDS: wholeNumber('LLM_TIMEOUT_SECONDS', 1, 3600, LLM_DEFAULTS.timeoutSeconds),
  LLM_MAX_RETRIES: wholeNumber('LLM_MAX_RETRIES', 0, 10, LLM_DEFAULTS.maxRetries),
} satisfies Record<string, z.ZodType>;

/** The LLM section, or undefined when something is wrong (then `problems` says what). */
export function readLlmConfig(env: Env, problems: string[]): LlmConfig | undefined {
  const before = problems.length;
  const e = parseFields(llmFields, env, problems);
  if (problems.length > before) return undefined;
  const common: LlmCommon = {
    timeoutMs: (e.LLM_TIMEOUT_SECONDS as number) * 1000,
    maxRetries: e.LLM_MAX_RETRIES as number,
  };
  if (e.LLM_PROVIDER === 'ollama') {
    return {
      provider: 'ollama',
      baseUrl: e.OLLAMA_BASE_URL ?? LLM_DEFAULTS.ollamaBaseUrl,
      model: e.OLLAMA_MODEL ?? LLM_DEFAULTS.ollamaModel,
      ...common,
    };
  }
  // A hosted provider's key is only read (and required) when that provider is chosen.
  const keyName = e.LLM_PROVIDER === 'openai' ? 'OPENAI_API_KEY' : 'ANTHROPIC_API_KEY';
  const secretProblems: string[] = [];
  const apiKey = readSecret(env, keyName, 'API key', secretProblems);
  problems.push(...secretProblems);
  if (secretProblems.length > 0) return undefined;
  if (!apiKey) {
    problems.push(
      e.LLM_PROVIDER === 'openai'
        ? 'OPENAI_API_KEY: LLM_PROVIDER=openai needs an API key: set OPENAI_API_KEY or OPENAI_API_KEY_FILE ' +
            '(a local OpenAI-compatible server that ignores keys accepts any non-empty value)'
        : 'ANTHROPIC_API_KEY: LLM_PROVIDER=anthropic needs an API key: set ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_FILE',
    );
    return undefined;
  }
  if (e.LLM_PROVIDER === 'anthropic') {
    return {
      provider: 'anthropic',
      baseUrl: e.ANTHROPIC_BASE_URL ?? LLM_DEFAULTS.anthropicBaseUrl,
      model: e.ANTHROPIC_MODEL ?? LLM_DEFAULTS.anthropicModel,
      maxTokens: e.ANTHROPIC_MAX_TOKENS as number,
      apiKey,
      ...common,
    };
  }
  return {
    provider: 'openai',
    baseUrl: e.OPENAI_BASE_URL ?? LLM_DEFAULTS.openaiBaseUrl,
    model: e.OPENAI_MODEL ?? LLM_DEFAULTS.openaiModel,
    apiKey,
    ...common,
  };
}
