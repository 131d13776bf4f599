// Picks the provider the environment asked for; nothing else in the service knows which one it is.
import type { Logger } from 'pino';
import type { LlmConfig } from '../config/llm.ts';
import { createOllamaProvider } from './ollama.ts';
import { createOpenAiProvider } from './openai.ts';
import type { LlmProvider } from './types.ts';

export function createLlmProvider(config: LlmConfig, logger: Logger): LlmProvider {
  const providerLogger = logger.child({ component: 'llm', provider: config.provider });
  return config.provider === 'openai'
    ? createOpenAiProvider(config, providerLogger)
    : createOllamaProvider(config, providerLogger);
}
