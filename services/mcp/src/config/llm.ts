// The LLM section of the environment: which provider, where, which model, and the call policy. loadConfig()
// composes it into Config.llm.
import { z } from 'zod';
import { httpUrl, oneOf, parseFields, readSecret, text, wholeNumber, type Env, type Secret } from './env.ts';

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

const baseUrl = (name: string, example: string) =>
  httpUrl(`${name} must be an http(s) URL such as ${example}`, { trimTrailingSlash: true });

const llmFields = {
  LLM_PROVIDER: oneOf('LLM_PROVIDER', LLM_PROVIDERS, LLM_DEFAULTS.provider),
  OLLAMA_BASE_URL: baseUrl('OLLAMA_BASE_URL', 'http://ollama:11434'),
  OLLAMA_MODEL: text,
  OPENAI_BASE_URL: baseUrl('OPENAI_BASE_URL', 'https://api.openai.com/v1'),
  OPENAI_MODEL: text,
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
  // The key is only read (and required) when OpenAI is the provider.
  const secretProblems: string[] = [];
  const apiKey = readSecret(env, 'OPENAI_API_KEY', 'API key', secretProblems);
  problems.push(...secretProblems);
  if (secretProblems.length > 0) return undefined;
  if (!apiKey) {
    problems.push(
      'OPENAI_API_KEY: LLM_PROVIDER=openai needs an API key: set OPENAI_API_KEY or OPENAI_API_KEY_FILE ' +
        '(a local OpenAI-compatible server that ignores keys accepts any non-empty value)',
    );
    return undefined;
  }
  return {
    provider: 'openai',
    baseUrl: e.OPENAI_BASE_URL ?? LLM_DEFAULTS.openaiBaseUrl,
    model: e.OPENAI_MODEL ?? LLM_DEFAULTS.openaiModel,
    apiKey,
    ...common,
  };
}
