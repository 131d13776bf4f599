// Builds one McpServer with everything registered. Called per request for 2026-07-28 clients (stateless) and per
// session for 2025 clients, so it must stay cheap: tool schemas are built at module load by their owners and
// registration only stores references.
import { McpServer, type McpRequestContext } from '@modelcontextprotocol/server';
import type { AppDeps } from '../deps.ts';
import { registerCatalog } from './catalog.ts';
import { registerConformanceFixtures } from './fixtures/conformance.ts';
import { withCachedJsonSchema } from './schema-cache.ts';

export const SERVER_NAME = 'mcp-stack';

interface ToolConfig {
  inputSchema?: unknown;
  outputSchema?: unknown;
}

export type ServerFactory = (ctx?: McpRequestContext) => McpServer;

export function createServerFactory(deps: AppDeps): ServerFactory {
  const info = { name: SERVER_NAME, title: 'mcp-stack', version: deps.version };
  const instructions =
    'Tools backed by the configured LLM provider. Call server_info to see which provider and model answer.';
  const withFixtures = deps.config.mcp.conformanceFixtures;
  return () => {
    const server = new McpServer(info, { instructions, capabilities: { logging: {} } });
    // Every tool registered on this instance shares one JSON Schema conversion per schema object (tools/list on
    // a fresh instance: ~0.8 ms -> ~0.24 ms for the three tools).
    const registerTool = server.registerTool.bind(server) as (name: string, config: ToolConfig, cb: unknown) => unknown;
    server.registerTool = ((name: string, config: ToolConfig, cb: unknown) =>
      registerTool(name, { ...config, inputSchema: withCachedJsonSchema(config.inputSchema), outputSchema: withCachedJsonSchema(config.outputSchema) }, cb)) as McpServer['registerTool'];
    registerCatalog(server, deps);
    if (withFixtures) registerConformanceFixtures(server);
    return server;
  };
}
