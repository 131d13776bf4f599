// Picks the provider the environment asked for; nothing else in the service knows which one it is.
//
// The provider's module (and with it its SDK: `openai` and `@anthropic-ai/sdk` take ~0.6 s of CPU to load) is
// imported on first use, not at start: only the configured one is ever loaded, and the service listens (and its
// health check passes) without waiting for it. The first call or /readyz probe pays the import once.
import type { Logger } from 'pino';
import type { LlmConfig } from '../config/llm.ts';
import type { LlmProvider } from './types.ts';
import { withoutCredentials } from './upstream.ts';

function loadProvider(config: LlmConfig, logger: Logger): Promise<LlmProvider> {
  switch (config.provider) {
    case 'openai':
      return import('./openai.ts').then((m) => m.createOpenAiProvider(config, logger));
    case 'anthropic':
      return import('./anthropic.ts').then((m) => m.createAnthropicProvider(config, logger));
    case 'ollama':
      return import('./ollama.ts').then((m) => m.createOllamaProvider(config, logger));
  }
}

export function createLlmProvider(config: LlmConfig, logger: Logger): LlmProvider {
  const providerLogger = logger.child({ component: 'llm', provider: config.provider });
  let loaded: Promise<LlmProvider> | undefined;
  const provider = () => {
    loaded ??= loadProvider(config, providerLogger);
    return loaded;
  };
  return {
    name: config.provider,
    model: config.model,
    baseUrl: withoutCredentials(config.baseUrl),
    chat: async (request) => (await provider()).chat(request),
    listModels: async (signal) => (await provider()).listModels(signal),
    health: async () => (await provider()).health(),
  };
}
