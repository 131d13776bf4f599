// The tools every bare-SDK baseline registers, so each server does the same work per call as ours:
//   echo         — the reference tool (text in, text out)
//   server_info  — the same input/output schemas and result shape as the service's own server_info, for the
//                  like-with-like comparison when the service has no echo tool (it validates structured output).
import type { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';

const echoInput = z.object({ text: z.string().describe('Text to send back') });

const serverInfoOutput = z.object({
    name: z.string(),
    version: z.string(),
    environment: z.string(),
    provider: z.enum(['ollama', 'openai']),
    model: z.string(),
    llmBaseUrl: z.string().describe('Where the provider is reached (credentials removed).'),
    node: z.string()
});

const info = {
    name: 'mcp-stack',
    version: '0.1.0',
    environment: 'production',
    provider: 'ollama' as const,
    model: 'mcp-stack-tiny',
    llmBaseUrl: 'http://127.0.0.1:9',
    node: process.version
};

export function registerBaselineTools(server: McpServer): void {
    server.registerTool('echo', { description: 'Echo the text back', inputSchema: echoInput }, async ({ text }) => ({
        content: [{ type: 'text' as const, text }]
    }));
    server.registerTool(
        'server_info',
        {
            title: 'Server information',
            description: 'Returns the service version and the LLM provider and model it uses. Does not call the model.',
            inputSchema: z.object({}),
            outputSchema: serverInfoOutput,
            annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
        },
        async () => ({
            content: [{ type: 'text' as const, text: `mcp-stack ${info.version} (${info.environment}): ${info.provider} model ${info.model} at ${info.llmBaseUrl}` }],
            structuredContent: { ...info }
        })
    );
}
