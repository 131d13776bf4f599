// What a tool is: one file per tool exports a ToolDefinition; tools/index.ts lists them once for MCP and REST.
import type { ToolAnnotations } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import type { LlmProvider } from '../llm/types.ts';

export interface ToolContext {
  /** Fires when the caller cancels (MCP notifications/cancelled), disconnects, or the REST client goes away. */
  signal: AbortSignal;
  /** Tells the caller how it is going (MCP progress notification with this message; ignored over REST). */
  progress(message: string): Promise<void>;
  llm: LlmProvider;
  logger: Logger;
  deps: AppDeps;
}

export interface ToolResult<Structured> {
  /** What a person reads (MCP text content). */
  text: string;
  /** The same result as data, matching outputSchema (MCP structuredContent, REST response body). */
  structured: Structured;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  /** snake_case; also the REST path: POST /api/tools/<name>. */
  name: string;
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  annotations: ToolAnnotations;
  handler(input: z.output<Input>, ctx: ToolContext): Promise<ToolResult<z.input<Output>>>;
}

/** Identity function that lets TypeScript infer the handler's types from the schemas. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(
  tool: ToolDefinition<Input, Output>,
): ToolDefinition<Input, Output> {
  return tool;
}

// biome-ignore lint/suspicious/noExplicitAny: the list holds tools of different schemas; callers validate input with the tool's own schema first.
export type AnyTool = ToolDefinition<any, any>;

/** A failure the tool explains itself (not an LLM one); `status` is the REST status to answer with. */
export class ToolError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ToolError';
    this.status = status;
  }
}
