// LLM settings come only from the environment; bad combinations stop the process with one line per problem.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { loadConfig } from '../src/config/index.ts';
import { configProblems, secretFile } from './helpers/config.ts';

// The LLM section as the service reads it (loadConfig is the only entry point).
const loadLlmConfig = (env: Record<string, string>) => loadConfig(env).llm;

describe('LLM configuration', () => {
  it('defaults to a local Ollama', () => {
    assert.deepEqual(loadLlmConfig({}), {
      provider: 'ollama',
      baseUrl: 'http://localhost:11434',
      model: 'llama3.2:1b',
      timeoutMs: 120_000,
      maxRetries: 2,
    });
  });

  it('switches to OpenAI (or a compatible server) with environment variables alone', () => {
    const config = loadLlmConfig({
      LLM_PROVIDER: 'openai',
      OPENAI_API_KEY: 'sk-live-secret',
      OPENAI_BASE_URL: 'http://vllm:8000/v1/',
      OPENAI_MODEL: 'qwen2.5',
      LLM_TIMEOUT_SECONDS: '30',
      LLM_MAX_RETRIES: '0',
      OLLAMA_BASE_URL: '', // compose passes unset variables as empty strings
    });
    assert.equal(config.provider, 'openai');
    assert.equal(config.baseUrl, 'http://vllm:8000/v1');
    assert.equal(config.model, 'qwen2.5');
    assert.equal(config.timeoutMs, 30_000);
    assert.equal(config.maxRetries, 0);
    assert.equal(config.provider === 'openai' && config.apiKey.reveal(), 'sk-live-secret');
  });

  it('reads the key from OPENAI_API_KEY_FILE and never prints it', () => {
    const file = secretFile('sk-from-file\n', 'openai_api_key');
    const config = loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY_FILE: file });
    assert.equal(config.provider === 'openai' && config.apiKey.reveal(), 'sk-from-file');
    for (const shown of [
      JSON.stringify(config),
      inspect(config, { depth: 5 }),
      `${config.provider === 'openai' && config.apiKey}`,
    ]) {
      assert.doesNotMatch(shown, /sk-from-file/);
    }
  });

  it('rejects bad values and combinations with actionable messages', () => {
    assert.deepEqual(configProblems({ LLM_PROVIDER: 'openai' }), [
      'OPENAI_API_KEY: LLM_PROVIDER=openai needs an API key: set OPENAI_API_KEY or OPENAI_API_KEY_FILE ' +
        '(a local OpenAI-compatible server that ignores keys accepts any non-empty value)',
    ]);
    assert.deepEqual(
      configProblems({
        LLM_PROVIDER: 'claude',
        OLLAMA_BASE_URL: 'ollama:11434',
        LLM_TIMEOUT_SECONDS: '0',
        LLM_MAX_RETRIES: 'x',
      }),
      [
        'LLM_PROVIDER must be ollama, openai or anthropic (got "claude")',
        'OLLAMA_BASE_URL must be an http(s) URL such as http://ollama:11434',
        'LLM_TIMEOUT_SECONDS must be a whole number between 1 and 3600',
        'LLM_MAX_RETRIES must be a whole number between 0 and 10',
      ],
    );
    assert.deepEqual(
      configProblems({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'a', OPENAI_API_KEY_FILE: '/run/secrets/x' }),
      ['OPENAI_API_KEY_FILE: set either OPENAI_API_KEY or OPENAI_API_KEY_FILE, not both'],
    );
    assert.deepEqual(configProblems({ LLM_PROVIDER: 'openai', OPENAI_API_KEY_FILE: '/nonexistent/key' }), [
      'OPENAI_API_KEY_FILE: cannot read /nonexistent/key (ENOENT): mount the secret file or unset OPENAI_API_KEY_FILE',
    ]);
  });

  it('switches to Anthropic with environment variables alone, with defaults for the rest', () => {
    assert.deepEqual(
      JSON.parse(
        JSON.stringify(
          loadLlmConfig({ LLM_PROVIDER: 'Anthropic', ANTHROPIC_API_KEY: 'sk-ant-secret', ANTHROPIC_BASE_URL: '' }),
        ),
      ),
      {
        provider: 'anthropic',
        baseUrl: 'https://api.anthropic.com',
        model: 'claude-haiku-5-5',
        maxTokens: 1024,
        apiKey: '[redacted]',
        timeoutMs: 120_000,
        maxRetries: 2,
      },
    );
    const config = loadLlmConfig({
      LLM_PROVIDER: 'anthropic',
      ANTHROPIC_API_KEY: 'sk-ant-secret',
      ANTHROPIC_BASE_URL: 'https://llm-gateway.internal/anthropic/',
      ANTHROPIC_MODEL: 'claude-sonnet-5-5',
      ANTHROPIC_MAX_TOKENS: '4096',
      OPENAI_API_KEY: '', // compose passes unset variables as empty strings
    });
    assert.equal(config.provider, 'anthropic');
    assert.equal(config.baseUrl, 'https://llm-gateway.internal/anthropic');
    assert.equal(config.model, 'claude-sonnet-5-5');
    assert.equal(config.provider === 'anthropic' && config.maxTokens, 4096);
    assert.equal(config.provider === 'anthropic' && config.apiKey.reveal(), 'sk-ant-secret');
  });

  it('reads the Anthropic key from the one llm_api_key secret file that prod mounts for either provider', () => {
    const file = secretFile('sk-ant-from-file\n', 'llm_api_key');
    // compose.prod.yaml sets both *_API_KEY_FILE variables to the same file; only the chosen provider's is read.
    const both = { OPENAI_API_KEY_FILE: file, ANTHROPIC_API_KEY_FILE: file };
    const anthropic = loadLlmConfig({ LLM_PROVIDER: 'anthropic', ...both });
    assert.equal(anthropic.provider === 'anthropic' && anthropic.apiKey.reveal(), 'sk-ant-from-file');
    const openai = loadLlmConfig({ LLM_PROVIDER: 'openai', ...both });
    assert.equal(openai.provider === 'openai' && openai.apiKey.reveal(), 'sk-ant-from-file');
    for (const shown of [JSON.stringify(anthropic), inspect(anthropic, { depth: 5 })]) {
      assert.doesNotMatch(shown, /sk-ant-from-file/);
    }
  });

  it('rejects bad Anthropic settings with actionable messages, never echoing credentials', () => {
    assert.deepEqual(configProblems({ LLM_PROVIDER: 'anthropic', OPENAI_API_KEY: 'sk-openai' }), [
      'ANTHROPIC_API_KEY: LLM_PROVIDER=anthropic needs an API key: set ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_FILE',
    ]);
    assert.deepEqual(
      configProblems({ LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: 'a', ANTHROPIC_API_KEY_FILE: '/run/secrets/x' }),
      ['ANTHROPIC_API_KEY_FILE: set either ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_FILE, not both'],
    );
    const bad = configProblems({
      LLM_PROVIDER: 'anthropic',
      ANTHROPIC_API_KEY: 'k',
      ANTHROPIC_BASE_URL: 'https://user:hunter2@gateway.example',
      ANTHROPIC_MAX_TOKENS: '0',
    });
    assert.deepEqual(bad, [
      'ANTHROPIC_BASE_URL must not contain user:password@: put the key in ANTHROPIC_API_KEY or ANTHROPIC_API_KEY_FILE',
      'ANTHROPIC_MAX_TOKENS must be a whole number between 1 and 1000000',
    ]);
    assert.doesNotMatch(bad.join('\n'), /hunter2/);
    assert.deepEqual(
      configProblems({
        LLM_PROVIDER: 'anthropic',
        ANTHROPIC_API_KEY: 'k',
        ANTHROPIC_BASE_URL: 'https://api.anthropic.com/v1',
      }),
      ['ANTHROPIC_BASE_URL is the API root without /v1, such as https://api.anthropic.com'],
    );
    assert.deepEqual(
      configProblems({ LLM_PROVIDER: 'anthropic', ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'api.anthropic.com' }),
      ['ANTHROPIC_BASE_URL must be an http(s) URL such as https://api.anthropic.com'],
    );
  });
});
