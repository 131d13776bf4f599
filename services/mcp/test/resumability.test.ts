// MCP_RESUMABILITY: on by default (2025 session streams carry event ids a client can resume from with
// Last-Event-ID); false runs sessions without an event store (no ids, nothing stored per message).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TEST_TOKEN } from '@mcp-stack/test-support/credentials';
import { listenApp } from './helpers/in-process-app.ts';
import { buildDeps } from './helpers/llm-deps.ts';
import { initializeBody, MCP_ACCEPT } from './helpers/start-service.ts';

async function initializeStream(env: Record<string, string>): Promise<string> {
  const app = await listenApp(buildDeps({ LLM_PROVIDER: 'ollama', OLLAMA_BASE_URL: 'http://127.0.0.1:9', ...env }));
  try {
    const res = await fetch(`${app.baseUrl}/mcp`, {
      method: 'POST',
      headers: {
        Host: 'localhost',
        Authorization: `Bearer ${TEST_TOKEN}`,
        Accept: MCP_ACCEPT,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(initializeBody('2025-11-25')),
    });
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('mcp-session-id'));
    return await res.text();
  } finally {
    await app.close();
  }
}

describe('MCP_RESUMABILITY', () => {
  it('is on by default: the session stream carries event ids', async () => {
    assert.match(await initializeStream({}), /^id: /m);
  });

  it('MCP_RESUMABILITY=false: the session works, its stream carries no event ids', async () => {
    const stream = await initializeStream({ MCP_RESUMABILITY: 'false' });
    assert.match(stream, /"protocolVersion":"2025-11-25"/);
    assert.doesNotMatch(stream, /^id: /m);
  });
});
