// LLM settings come only from the environment; bad combinations stop the process with one line per problem.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/index.ts';

// The LLM section as the service reads it (loadConfig is the only entry point).
const loadLlmConfig = (env: Record<string, string>) => loadConfig(env).llm;

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  assert.fail('expected the configuration to be rejected');
}

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
    const dir = mkdtempSync(join(tmpdir(), 'llm-config-'));
    const file = join(dir, 'openai_api_key');
    writeFileSync(file, 'sk-from-file\n');
    const config = loadLlmConfig({ LLM_PROVIDER: 'openai', OPENAI_API_KEY_FILE: file });
    assert.equal(config.provider === 'openai' && config.apiKey.reveal(), 'sk-from-file');
    for (const shown of [JSON.stringify(config), inspect(config, { depth: 5 }), `${config.provider === 'openai' && config.apiKey}`]) {
      assert.doesNotMatch(shown, /sk-from-file/);
    }
  });

  it('rejects bad values and combinations with actionable messages', () => {
    assert.deepEqual(problems({ LLM_PROVIDER: 'openai' }), [
      'OPENAI_API_KEY: LLM_PROVIDER=openai needs an API key: set OPENAI_API_KEY or OPENAI_API_KEY_FILE ' +
        '(a local OpenAI-compatible server that ignores keys accepts any non-empty value)',
    ]);
    assert.deepEqual(problems({ LLM_PROVIDER: 'anthropic', OLLAMA_BASE_URL: 'ollama:11434', LLM_TIMEOUT_SECONDS: '0', LLM_MAX_RETRIES: 'x' }), [
      'LLM_PROVIDER must be ollama or openai (got "anthropic")',
      'OLLAMA_BASE_URL must be an http(s) URL such as http://ollama:11434',
      'LLM_TIMEOUT_SECONDS must be a whole number between 1 and 3600',
      'LLM_MAX_RETRIES must be a whole number between 0 and 10',
    ]);
    assert.deepEqual(problems({ LLM_PROVIDER: 'openai', OPENAI_API_KEY: 'a', OPENAI_API_KEY_FILE: '/run/secrets/x' }), [
      'OPENAI_API_KEY_FILE: set either OPENAI_API_KEY or OPENAI_API_KEY_FILE, not both',
    ]);
    assert.deepEqual(problems({ LLM_PROVIDER: 'openai', OPENAI_API_KEY_FILE: '/nonexistent/key' }), [
      'OPENAI_API_KEY_FILE: cannot read /nonexistent/key (ENOENT): mount the secret file or unset OPENAI_API_KEY_FILE',
    ]);
  });
});
