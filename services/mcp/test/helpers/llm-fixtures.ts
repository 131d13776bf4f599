// Builders shared by the LLM/tools/REST tests: providers pointed at the wire-protocol test servers.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { TEST_ANTHROPIC_KEY, TEST_OPENAI_KEY } from '@mcp-stack/test-support/credentials';
import { pino } from 'pino';
import { Secret } from '../../src/config/index.ts';
import type { LlmConfig } from '../../src/config/llm.ts';
import { createLlmProvider } from '../../src/llm/index.ts';
import type { LlmProvider } from '../../src/llm/types.ts';
import { FAKE_ANTHROPIC_MODEL, startFakeAnthropic } from './fake-anthropic.ts';
import type { FakeOptions, FakeServer } from './fake-llm-common.ts';
import { startFakeOllama } from './fake-ollama.ts';
import { startFakeOpenAi } from './fake-openai.ts';

export const silentLogger = pino({ level: 'silent' });

/** A request that asks the model to generate (as opposed to listing models, health probes...). */
export const isGeneration = (path: string) => /\/(api\/chat|chat\/completions|v1\/messages)$/.test(path);

export interface ProviderCase {
  name: 'ollama' | 'openai' | 'anthropic';
  model: string;
  /** The variable that names the model, as error messages quote it. */
  modelVariable: string;
  startFake(options?: FakeOptions): Promise<FakeServer>;
  /** The base URL the provider is configured with for a test server at `fakeUrl`. */
  baseUrl(fakeUrl: string): string;
  /** How messages name the upstream for a test server at `fakeUrl`. */
  label(fakeUrl: string): string;
  config(
    fakeUrl: string,
    overrides?: Partial<{ timeoutMs: number; maxRetries: number; model: string; apiKey: string; maxTokens: number }>,
  ): LlmConfig;
}

export const providerCases: ProviderCase[] = [
  {
    name: 'ollama',
    model: 'llama3.2:1b',
    modelVariable: 'OLLAMA_MODEL',
    baseUrl: (fakeUrl) => fakeUrl,
    label: (fakeUrl) => `Ollama at ${fakeUrl}`,
    startFake: (options) => startFakeOllama({ models: ['llama3.2:1b'], tokenDelayMs: 5, ...options }),
    config: (baseUrl, overrides = {}) => ({
      provider: 'ollama',
      baseUrl,
      model: overrides.model ?? 'llama3.2:1b',
      timeoutMs: overrides.timeoutMs ?? 10_000,
      maxRetries: overrides.maxRetries ?? 2,
    }),
  },
  {
    name: 'openai',
    model: 'gpt-4o-mini',
    modelVariable: 'OPENAI_MODEL',
    baseUrl: (fakeUrl) => `${fakeUrl}/v1`,
    label: (fakeUrl) => `OpenAI-compatible server at ${fakeUrl}/v1`,
    startFake: (options) =>
      startFakeOpenAi({ models: ['gpt-4o-mini'], apiKey: TEST_OPENAI_KEY, tokenDelayMs: 5, ...options }),
    config: (baseUrl, overrides = {}) => ({
      provider: 'openai',
      baseUrl: `${baseUrl}/v1`,
      model: overrides.model ?? 'gpt-4o-mini',
      apiKey: new Secret(overrides.apiKey ?? TEST_OPENAI_KEY),
      timeoutMs: overrides.timeoutMs ?? 10_000,
      maxRetries: overrides.maxRetries ?? 2,
    }),
  },
  {
    name: 'anthropic',
    model: FAKE_ANTHROPIC_MODEL,
    modelVariable: 'ANTHROPIC_MODEL',
    baseUrl: (fakeUrl) => fakeUrl,
    label: (fakeUrl) => `Anthropic API at ${fakeUrl}`,
    startFake: (options) =>
      startFakeAnthropic({ models: [FAKE_ANTHROPIC_MODEL], apiKey: TEST_ANTHROPIC_KEY, tokenDelayMs: 5, ...options }),
    config: (baseUrl, overrides = {}) => ({
      provider: 'anthropic',
      baseUrl,
      model: overrides.model ?? FAKE_ANTHROPIC_MODEL,
      apiKey: new Secret(overrides.apiKey ?? TEST_ANTHROPIC_KEY),
      maxTokens: overrides.maxTokens ?? 1024,
      timeoutMs: overrides.timeoutMs ?? 10_000,
      maxRetries: overrides.maxRetries ?? 2,
    }),
  },
];

export const providerCase = (name: ProviderCase['name']): ProviderCase => providerCases.find((pc) => pc.name === name)!;

export function providerFor(config: LlmConfig): LlmProvider {
  return createLlmProvider(config, silentLogger);
}

/** A localhost port with nothing listening on it (connection refused). */
export async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
