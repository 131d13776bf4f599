// The one list of tools. MCP (src/mcp/catalog.ts) and REST (src/rest) both serve exactly these.
import { ask } from './ask.ts';
import { serverInfo } from './server-info.ts';
import { summarize } from './summarize.ts';
import type { AnyTool } from './types.ts';

export const tools: readonly AnyTool[] = [ask, summarize, serverInfo];

export function findTool(name: string): AnyTool | undefined {
  return tools.find((tool) => tool.name === name);
}
