// The tools every bare-SDK baseline registers, so each server does the same work per call as ours:
//   echo         — the reference tool (text in, text out)
//   server_info  — the same input/output schemas and result shape as the service's own server_info, for the
//                  like-with-like comparison when the service has no echo tool (it validates structured output).
import type { McpServer, StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import * as z from 'zod';

/**
 * Experiment switch (not used by `make bench`): BENCH_PREPARED_SCHEMAS=1 hands the SDK schemas whose JSON Schema
 * is computed once and cached, instead of zod schemas it converts on every McpServer — to show what a server
 * built per request gains from preparing its tool schemas once.
 */
const PREPARED = process.env.BENCH_PREPARED_SCHEMAS === '1';

function prepared<S extends z.ZodType>(schema: S): S {
  if (!PREPARED) return schema;
  const std = schema['~standard'];
  const cache = new Map<string, Record<string, unknown>>();
  const convert = (io: 'input' | 'output') => (options: { target: string }) => {
    const key = `${io} ${options.target}`;
    let json = cache.get(key);
    if (!json) {
      json = std.jsonSchema[io](options as Parameters<typeof std.jsonSchema.input>[0]);
      cache.set(key, json);
    }
    return json;
  };
  const wrapper: StandardSchemaWithJSON = {
    '~standard': {
      version: 1,
      vendor: 'zod',
      validate: std.validate,
      jsonSchema: { input: convert('input'), output: convert('output') },
    },
  } as StandardSchemaWithJSON;
  return wrapper as unknown as S;
}

const echoInput = prepared(z.object({ text: z.string().describe('Text to send back') }));

const serverInfoInput = prepared(z.object({}));
const serverInfoOutput = prepared(
  z.object({
    name: z.string(),
    version: z.string(),
    environment: z.string(),
    provider: z.enum(['ollama', 'openai']),
    model: z.string(),
    llmBaseUrl: z.string().describe('Where the provider is reached (credentials removed).'),
    node: z.string(),
  }),
);

const info = {
  name: 'mcp-stack',
  version: '0.1.0',
  environment: 'production',
  provider: 'ollama' as const,
  model: 'mcp-stack-tiny',
  llmBaseUrl: 'http://127.0.0.1:9',
  node: process.version,
};

export function registerBaselineTools(server: McpServer): void {
  server.registerTool('echo', { description: 'Echo the text back', inputSchema: echoInput }, async ({ text }) => ({
    content: [{ type: 'text' as const, text }],
  }));
  server.registerTool(
    'server_info',
    {
      title: 'Server information',
      description: 'Returns the service version and the LLM provider and model it uses. Does not call the model.',
      inputSchema: serverInfoInput,
      outputSchema: serverInfoOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async () => ({
      content: [
        {
          type: 'text' as const,
          text: `mcp-stack ${info.version} (${info.environment}): ${info.provider} model ${info.model} at ${info.llmBaseUrl}`,
        },
      ],
      structuredContent: { ...info },
    }),
  );
}
