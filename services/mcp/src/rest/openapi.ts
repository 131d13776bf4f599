// The OpenAPI 3.1 description of the REST façade, generated from the same tool list and zod schemas MCP uses.
import { z } from 'zod';
import type { AnyTool } from '../tools/types.ts';
import { problemJsonSchema } from './problem.ts';

export const TOOLS_PATH = '/api/tools';

type JsonSchema = Record<string, unknown>;

/** zod -> JSON Schema (draft 2020-12, which OpenAPI 3.1 uses), without the top-level $schema key. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return rest;
}

export interface ToolDescription {
  name: string;
  title: string;
  description: string;
  path: string;
  annotations: AnyTool['annotations'];
  inputSchema: JsonSchema;
  outputSchema: JsonSchema;
}

export function describeTool(tool: AnyTool): ToolDescription {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    path: `${TOOLS_PATH}/${tool.name}`,
    annotations: tool.annotations,
    inputSchema: jsonSchemaOf(tool.inputSchema, 'input'),
    outputSchema: jsonSchemaOf(tool.outputSchema, 'output'),
  };
}

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export function buildOpenApiDocument(
  tools: readonly AnyTool[],
  options: { version: string; authRequired: boolean },
): Record<string, unknown> {
  const descriptions = tools.map(describeTool);
  const security = options.authRequired ? [{ bearerAuth: [] }] : [];
  // Every refusal the service can give before a tool runs, as it gives it (problem+json, see the README's error contract).
  const authResponses = options.authRequired
    ? { 401: problemResponse('Missing or wrong bearer token (MCP_AUTH_TOKEN).') }
    : {};
  const edgeResponses = {
    ...authResponses,
    429: problemResponse(
      'Too many requests from this client (MCP_RATE_LIMIT_PER_MINUTE); Retry-After says when to retry.',
    ),
  };

  const paths: Record<string, unknown> = {
    [TOOLS_PATH]: {
      get: {
        operationId: 'listTools',
        summary: 'List the tools',
        description: 'The same tools the MCP endpoint serves, with their input and output JSON Schemas.',
        tags: ['tools'],
        responses: {
          200: {
            description: 'The tools.',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['tools'],
                  properties: { tools: { type: 'array', items: { $ref: '#/components/schemas/ToolDescription' } } },
                },
              },
            },
          },
          ...edgeResponses,
        },
      },
    },
  };
  for (const tool of descriptions) {
    paths[tool.path] = {
      post: {
        operationId: tool.name,
        summary: tool.title,
        description: tool.description,
        tags: ['tools'],
        // A missing body is read as {}: optional exactly when {} is a valid input (no required fields).
        requestBody: {
          required: hasRequiredFields(tool.inputSchema),
          content: { 'application/json': { schema: tool.inputSchema } },
        },
        responses: {
          200: { description: 'The tool result.', content: { 'application/json': { schema: tool.outputSchema } } },
          400: problemResponse('The body is not JSON or does not match the input schema; `errors` lists each field.'),
          ...edgeResponses,
          413: problemResponse('The body is larger than MCP_MAX_BODY_BYTES.'),
          415: problemResponse('The body is not JSON (Content-Type: application/json) or uses an unsupported charset.'),
          502: problemResponse('The LLM provider failed, refused our credentials or sent a malformed response.'),
          503: problemResponse('The LLM provider is not reachable, rate limiting, or the model is not available.'),
          504: problemResponse('The LLM provider did not finish within LLM_TIMEOUT_SECONDS.'),
        },
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'mcp-stack REST API',
      version: options.version,
      description:
        'A REST façade over the MCP tools of this server: the same tools, schemas and auth as the MCP endpoint at /mcp.',
    },
    servers: [{ url: '/' }],
    security,
    tags: [{ name: 'tools', description: 'Tools backed by the configured LLM provider.' }],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'The value of MCP_AUTH_TOKEN.' },
      },
      schemas: {
        Problem: problemJsonSchema,
        ToolDescription: {
          type: 'object',
          required: ['name', 'title', 'description', 'path', 'inputSchema', 'outputSchema'],
          properties: {
            name: { type: 'string' },
            title: { type: 'string' },
            description: { type: 'string' },
            path: { type: 'string' },
            annotations: { type: 'object' },
            inputSchema: { type: 'object' },
            outputSchema: { type: 'object' },
          },
        },
      },
    },
  };
}

function hasRequiredFields(schema: JsonSchema): boolean {
  return Array.isArray(schema.required) && schema.required.length > 0;
}
