// One config vocabulary for every section: every problem of every section is listed at once, and secrets come
// from X or X_FILE the same way for the service token and the LLM key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { loadConfig } from '../src/config/index.ts';
import { configProblems, secretFile } from './helpers/config.ts';

describe('config', () => {
  it('lists the problems of every section in one error', () => {
    assert.deepEqual(
      configProblems({
        PORT: '70000',
        MCP_STATELESS: 'maybe',
        MCP_ALLOWED_HOSTS: 'localhost,https://bad.example',
        LOG_LEVEL: 'loud',
        LLM_MAX_RETRIES: '11',
        MCP_AUTH_TOKEN: 'short',
      }),
      [
        'PORT must be a whole number between 0 and 65535',
        'LOG_LEVEL must be fatal, error, warn, info, debug, trace or silent (got "loud")',
        'MCP_ALLOWED_HOSTS: "https://bad.example" is not a hostname; MCP_ALLOWED_HOSTS takes hostnames without scheme or port, comma separated (e.g. localhost,mcp.example.com)',
        'MCP_STATELESS must be true or false',
        'LLM_MAX_RETRIES must be a whole number between 0 and 10',
        'MCP_AUTH_TOKEN: too short (5 characters); use at least 16, e.g. openssl rand -hex 32',
      ],
    );
  });

  it('reads the service token from MCP_AUTH_TOKEN_FILE like the LLM key, and never prints it', () => {
    const token = 'file-token-0123456789abcdef';
    const config = loadConfig({ MCP_AUTH_TOKEN_FILE: secretFile(`${token}\n`) });
    assert.equal(config.auth.disabled, false);
    assert.equal(config.auth.token?.reveal(), token);
    assert.doesNotMatch(JSON.stringify(config) + inspect(config, { depth: 5 }), new RegExp(token));
  });

  it('refuses both X and X_FILE, unreadable and empty secret files, with the same words for each secret', () => {
    const empty = secretFile('\n');
    assert.deepEqual(configProblems({ MCP_AUTH_TOKEN: 'x'.repeat(20), MCP_AUTH_TOKEN_FILE: empty }), [
      'MCP_AUTH_TOKEN_FILE: set either MCP_AUTH_TOKEN or MCP_AUTH_TOKEN_FILE, not both',
    ]);
    assert.deepEqual(
      configProblems({ MCP_AUTH_TOKEN_FILE: empty, LLM_PROVIDER: 'openai', OPENAI_API_KEY_FILE: empty }),
      [
        `MCP_AUTH_TOKEN_FILE: ${empty} is empty: put the token in it`,
        `OPENAI_API_KEY_FILE: ${empty} is empty: put the API key in it`,
      ],
    );
    assert.deepEqual(configProblems({ MCP_AUTH_TOKEN_FILE: '/nonexistent/token' }), [
      'MCP_AUTH_TOKEN_FILE: cannot read /nonexistent/token (ENOENT): mount the secret file or unset MCP_AUTH_TOKEN_FILE',
    ]);
  });

  it('reads the OpenAI key file only when OpenAI is the provider', () => {
    assert.equal(loadConfig({ OPENAI_API_KEY_FILE: '/nonexistent/key' }).llm.provider, 'ollama');
  });
});
