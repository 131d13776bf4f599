// server_info: which service, version, provider and model answer. Nothing secret (no keys, no tokens).
import { z } from 'zod';
import { LLM_PROVIDER_IDS } from '../llm/types.ts';
import { defineTool } from './types.ts';

export const serverInfo = defineTool({
  name: 'server_info',
  title: 'Server information',
  description: 'Returns the service version and the LLM provider and model it uses. Does not call the model.',
  inputSchema: z.object({}),
  outputSchema: z.object({
    name: z.string(),
    version: z.string(),
    environment: z.string(),
    provider: z.enum(LLM_PROVIDER_IDS),
    model: z.string(),
    llmBaseUrl: z.string().describe('Where the provider is reached (credentials removed).'),
    node: z.string(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async handler(_input, { deps, llm }) {
    const info = {
      name: 'mcp-stack',
      version: deps.version,
      environment: deps.config.appEnv,
      provider: llm.name,
      model: llm.model,
      llmBaseUrl: llm.baseUrl,
      node: process.version,
    };
    return {
      text: `mcp-stack ${info.version} (${info.environment}): ${info.provider} model ${info.model} at ${info.llmBaseUrl}`,
      structured: info,
    };
  },
});
