// Builds one McpServer with everything registered: for each 2025 session, and for the pool of prepared servers
// 2026-07-28 requests are served by (server-pool.ts). Tool schemas are built at module load by their owners (with
// their JSON Schema conversion cached, see catalog.ts) and registration only stores references.
import { McpServer } from '@modelcontextprotocol/server';
import type { AppDeps } from '../deps.ts';
import { registerCatalog } from './catalog.ts';
import { registerConformanceFixtures } from './fixtures/conformance.ts';
import type { CallTracker } from './server-pool.ts';

export const SERVER_NAME = 'mcp-stack';

export type ServerBuilder = (track?: CallTracker) => McpServer;

export function createServerBuilder(deps: AppDeps): ServerBuilder {
  const info = { name: SERVER_NAME, title: 'mcp-stack', version: deps.version };
  const instructions =
    'Tools backed by the configured LLM provider. Call server_info to see which provider and model answer.';
  const withFixtures = deps.config.mcp.conformanceFixtures;
  return (track) => {
    const server = new McpServer(info, { instructions, capabilities: { logging: {} } });
    registerCatalog(server, deps, track);
    if (withFixtures) registerConformanceFixtures(server);
    return server;
  };
}
