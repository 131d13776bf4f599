// The tools, resource and prompt through a real SDK client and server linked in memory, against both providers.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { textOf } from '@mcp-stack/test-support/tool-result';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import type { AppDeps } from '../src/deps.ts';
import { PROVIDER_RESOURCE_URI, registerCatalog } from '../src/mcp/catalog.ts';
import type { FakeServer } from './helpers/fake-llm-common.ts';
import { buildDeps, llmEnv, metricValue } from './helpers/llm-deps.ts';
import { isGeneration, providerCases } from './helpers/llm-fixtures.ts';

async function connect(deps: AppDeps) {
  const server = new McpServer({ name: 'mcp-stack', version: deps.version });
  registerCatalog(server, deps);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'tools-test', version: '1.0.0' });
  await client.connect(clientSide);
  return {
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

for (const pc of providerCases) {
  describe(`MCP tools over ${pc.name}`, () => {
    let fake: FakeServer;
    let deps: AppDeps;
    let mcp: Awaited<ReturnType<typeof connect>>;
    before(async () => {
      fake = await pc.startFake({ tokenDelayMs: 30 });
      deps = buildDeps(llmEnv(pc.name, fake.url));
      mcp = await connect(deps);
    });
    after(async () => {
      await mcp.close();
      await fake.close();
    });

    it('lists the tools with annotations and output schemas', async () => {
      const { tools } = await mcp.client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['ask', 'server_info', 'summarize']);
      const ask = tools.find((t) => t.name === 'ask')!;
      assert.equal(ask.annotations?.readOnlyHint, true);
      assert.equal(ask.annotations?.openWorldHint, true);
      assert.deepEqual(ask.inputSchema.required, ['question']);
      assert.ok(Object.hasOwn(ask.outputSchema?.properties ?? {}, 'answer'));
      const info = tools.find((t) => t.name === 'server_info')!;
      assert.equal(info.annotations?.idempotentHint, true);
    });

    it('ask streams the answer as progress notifications before the result', async () => {
      fake.setFault({ kind: 'none' });
      const events: string[] = [];
      const messages: string[] = [];
      const result = await mcp.client.callTool(
        { name: 'ask', arguments: { question: 'What is MCP and why does it matter to everyone?' } },
        {
          onprogress: (progress) => {
            events.push('progress');
            messages.push(progress.message ?? '');
          },
        },
      );
      events.push('result');
      assert.equal(result.isError, undefined);
      const expected = 'This is the test server answering: What is MCP and why does it matter to everyone?';
      assert.equal(textOf(result), expected);
      assert.deepEqual(result.structuredContent, { answer: expected, provider: pc.name, model: pc.model });
      assert.ok(messages.length >= 2, `expected several progress messages, got ${messages.length}`);
      assert.equal(events.at(-1), 'result');
      assert.equal(messages.join(''), expected, 'progress messages carry the streamed text');
      assert.equal(await metricValue(deps, 'mcp_tool_calls_total', { tool: 'ask', outcome: 'ok' }), 1);
    });

    it('summarize uses the length option', async () => {
      const result = await mcp.client.callTool({
        name: 'summarize',
        arguments: { text: 'A long text.', length: 'short' },
      });
      assert.equal(result.isError, undefined);
      assert.equal((result.structuredContent as { length: string }).length, 'short');
      const request = fake.requests.at(-1)!;
      const sent = JSON.stringify((request.body as { messages: unknown }).messages);
      assert.match(sent, /in one sentence/);
      assert.match(sent, /A long text\./);
    });

    it('server_info tells provider and model, nothing secret', async () => {
      const result = await mcp.client.callTool({ name: 'server_info', arguments: {} });
      const info = result.structuredContent as Record<string, string>;
      assert.equal(info.provider, pc.name);
      assert.equal(info.model, pc.model);
      assert.equal(info.version, '0.0.0-test');
      assert.doesNotMatch(JSON.stringify(result), /sk-test|test-token/);
    });

    it('a provider failure is an isError result and the server keeps serving', async () => {
      fake.setFault({ kind: 'malformed' });
      const failed = await mcp.client.callTool({ name: 'ask', arguments: { question: 'hello?' } });
      assert.equal(failed.isError, true);
      assert.match(textOf(failed), /sent a malformed (or truncated )?response stream/);
      assert.equal(await metricValue(deps, 'mcp_tool_calls_total', { tool: 'ask', outcome: 'error' }), 1);
      fake.setFault({ kind: 'none' });
      const ok = await mcp.client.callTool({ name: 'ask', arguments: { question: 'hello again?' } });
      assert.equal(ok.isError, undefined);
    });

    it('cancelling the call aborts the upstream request', async () => {
      fake.setFault({ kind: 'hang', afterTokens: 3 });
      fake.requests.length = 0;
      const controller = new AbortController();
      const call = mcp.client.callTool(
        { name: 'ask', arguments: { question: 'Tell me a very long story please' } },
        { signal: controller.signal, onprogress: () => controller.abort() },
      );
      await assert.rejects(call);
      const upstream = await fake.waitForRequest((r) => isGeneration(r.path));
      assert.equal(upstream.aborted, true, 'the test server saw the client go away');
      assert.equal(upstream.completed, false);
      // The tool's metrics record the cancellation once the handler has unwound.
      while ((await metricValue(deps, 'mcp_tool_calls_total', { tool: 'ask', outcome: 'cancelled' })) === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      fake.setFault({ kind: 'none' });
    });

    it('exposes the provider resource and the summarize prompt', async () => {
      const { resources } = await mcp.client.listResources();
      assert.deepEqual(
        resources.map((r) => r.uri),
        [PROVIDER_RESOURCE_URI],
      );
      const read = await mcp.client.readResource({ uri: PROVIDER_RESOURCE_URI });
      const content = read.contents[0] as { text: string };
      assert.deepEqual(JSON.parse(content.text), {
        provider: pc.name,
        model: pc.model,
        baseUrl: pc.baseUrl(fake.url),
        timeoutSeconds: 120,
        maxRetries: 1,
      });
      const prompt = await mcp.client.getPrompt({
        name: 'summarize',
        arguments: { text: 'Some text.', length: 'long' },
      });
      assert.equal(prompt.messages.length, 1);
      const text = (prompt.messages[0]!.content as { text: string }).text;
      assert.match(text, /up to three paragraphs/);
      assert.match(text, /Some text\./);
    });
  });
}

describe('MCP tool input validation', () => {
  it('rejects bad arguments before calling the model', async () => {
    const fake = await providerCases[0]!.startFake();
    const deps = buildDeps(llmEnv('ollama', fake.url));
    const mcp = await connect(deps);
    try {
      const result = await mcp.client.callTool({ name: 'summarize', arguments: { text: 'x', length: 'huge' } }).then(
        (r) => ({ isError: r.isError, text: textOf(r) }),
        (error: Error) => ({ isError: true, text: error.message }),
      );
      assert.equal(result.isError, true);
      assert.match(result.text, /length/);
      assert.equal(fake.requests.length, 0);
    } finally {
      await mcp.close();
      await fake.close();
    }
  });
});
