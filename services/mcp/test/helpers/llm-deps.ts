// AppDeps for the LLM/tools/REST tests, built from the real config loader, metrics and provider factory.

import { TEST_ANTHROPIC_KEY, TEST_OPENAI_KEY, TEST_TOKEN } from '@mcp-stack/test-support/credentials';
import { loadConfig } from '../../src/config/index.ts';
import type { AppDeps } from '../../src/deps.ts';
import { createLlmProvider } from '../../src/llm/index.ts';
import { createMetrics } from '../../src/runtime/metrics.ts';
import { FAKE_ANTHROPIC_MODEL } from './fake-anthropic.ts';
import { silentLogger } from './llm-fixtures.ts';

/** Env for one provider pointing at a test server URL (the fake's base URL, without /v1). */
export function llmEnv(
  provider: 'ollama' | 'openai' | 'anthropic',
  fakeUrl: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  const byProvider: Record<string, string> = {
    ollama: { OLLAMA_BASE_URL: fakeUrl, OLLAMA_MODEL: 'llama3.2:1b' },
    openai: { OPENAI_BASE_URL: `${fakeUrl}/v1`, OPENAI_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: TEST_OPENAI_KEY },
    anthropic: {
      ANTHROPIC_BASE_URL: fakeUrl,
      ANTHROPIC_MODEL: FAKE_ANTHROPIC_MODEL,
      ANTHROPIC_API_KEY: TEST_ANTHROPIC_KEY,
    },
  }[provider] as Record<string, string>;
  return { LLM_PROVIDER: provider, ...byProvider, LLM_MAX_RETRIES: '1', ...extra };
}

export function buildDeps(env: Record<string, string>): AppDeps {
  const config = loadConfig({ APP_ENV: 'development', LOG_LEVEL: 'silent', MCP_AUTH_TOKEN: TEST_TOKEN, ...env });
  return {
    config,
    logger: silentLogger,
    llm: createLlmProvider(config.llm, silentLogger),
    metrics: createMetrics(),
    version: '0.0.0-test',
  };
}

/** Current value of a counter/histogram sample, for asserting metrics. */
export async function metricValue(deps: AppDeps, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await deps.metrics.registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((value) =>
    Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
  );
  return sample?.value ?? 0;
}
