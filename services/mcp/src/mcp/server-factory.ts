// Builds one McpServer with everything registered. Called per request for 2026-07-28 clients (stateless) and per
// session for 2025 clients, so it must stay cheap: tool schemas are built at module load by their owners (with
// their JSON Schema conversion cached, see catalog.ts) and registration only stores references.
import { McpServer, type McpRequestContext } from '@modelcontextprotocol/server';
import type { AppDeps } from '../deps.ts';
import { registerCatalog } from './catalog.ts';
import { registerConformanceFixtures } from './fixtures/conformance.ts';

export const SERVER_NAME = 'mcp-stack';

export type ServerFactory = (ctx?: McpRequestContext) => McpServer;

export function createServerFactory(deps: AppDeps): ServerFactory {
  const info = { name: SERVER_NAME, title: 'mcp-stack', version: deps.version };
  const instructions =
    'Tools backed by the configured LLM provider. Call server_info to see which provider and model answer.';
  const withFixtures = deps.config.mcp.conformanceFixtures;
  return () => {
    const server = new McpServer(info, { instructions, capabilities: { logging: {} } });
    registerCatalog(server, deps);
    if (withFixtures) registerConformanceFixtures(server);
    return server;
  };
}
