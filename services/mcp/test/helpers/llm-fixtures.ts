// Builders shared by the LLM/tools/REST tests: providers pointed at the wire-protocol test servers.
import { once } from 'node:events';
import { createServer } from 'node:net';
import { TEST_OPENAI_KEY } from '@mcp-stack/test-support/credentials';
import { pino } from 'pino';
import { Secret, type LlmConfig } from '../../src/config/llm.ts';
import { createLlmProvider } from '../../src/llm/index.ts';
import type { LlmProvider } from '../../src/llm/types.ts';
import { startFakeOllama } from './fake-ollama.ts';
import { startFakeOpenAi } from './fake-openai.ts';
import type { FakeOptions, FakeServer } from './fake-llm-common.ts';

export const silentLogger = pino({ level: 'silent' });

export interface ProviderCase {
  name: 'ollama' | 'openai';
  model: string;
  startFake(options?: FakeOptions): Promise<FakeServer>;
  config(baseUrl: string, overrides?: Partial<{ timeoutMs: number; maxRetries: number; model: string; apiKey: string }>): LlmConfig;
}

export const providerCases: ProviderCase[] = [
  {
    name: 'ollama',
    model: 'llama3.2:1b',
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
    startFake: (options) => startFakeOpenAi({ models: ['gpt-4o-mini'], apiKey: TEST_OPENAI_KEY, tokenDelayMs: 5, ...options }),
    config: (baseUrl, overrides = {}) => ({
      provider: 'openai',
      baseUrl: `${baseUrl}/v1`,
      model: overrides.model ?? 'gpt-4o-mini',
      apiKey: new Secret(overrides.apiKey ?? TEST_OPENAI_KEY),
      timeoutMs: overrides.timeoutMs ?? 10_000,
      maxRetries: overrides.maxRetries ?? 2,
    }),
  },
];

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
