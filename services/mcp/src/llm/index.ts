// Picks the provider the environment asked for; nothing else in the service knows which one it is.
import type { Logger } from 'pino';
import type { LlmConfig } from '../config/llm.ts';
import { createAnthropicProvider } from './anthropic.ts';
import { createOllamaProvider } from './ollama.ts';
import { createOpenAiProvider } from './openai.ts';
import type { LlmProvider } from './types.ts';

export function createLlmProvider(config: LlmConfig, logger: Logger): LlmProvider {
  const providerLogger = logger.child({ component: 'llm', provider: config.provider });
  switch (config.provider) {
    case 'openai':
      return createOpenAiProvider(config, providerLogger);
    case 'anthropic':
      return createAnthropicProvider(config, providerLogger);
    case 'ollama':
      return createOllamaProvider(config, providerLogger);
  }
}
