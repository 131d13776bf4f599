// The REST façade: the MCP tools as plain HTTP+JSON, described by /openapi.json and browsable at /docs.
//   GET  /api/tools          the tool list with JSON Schemas
//   POST /api/tools/:name    run a tool; body validated by the tool's zod schema
//   GET  /openapi.json       OpenAPI 3.1, generated from the same list
//   GET  /docs               Swagger UI: createDocsRouter, mounted before auth (a browser cannot send a token)
// The service mounts the rest behind the same host/origin checks, rate limit and bearer auth as /mcp.
import { type Request, type Response, Router } from 'express';
import type { z } from 'zod';
import type { AppDeps } from '../deps.ts';
import { findTool, tools } from '../tools/index.ts';
import { invokeTool } from '../tools/invoke.ts';
import { buildOpenApiDocument, describeTool, TOOLS_PATH } from './openapi.ts';
import { type FieldError, sendProblem } from './problem.ts';

export { createDocsRouter } from './docs.ts';

// Built once: the tool list never changes while the process runs.
const toolDescriptions = tools.map(describeTool);

export interface RestRouterOptions {
  /** True once the process is draining (an abort is then an abandoned call, not a cancelled one). */
  shuttingDown?: () => boolean;
  /** Counts a tool call as in-flight work, so shutdown waits for it; returns the function that ends it. */
  beginWork?: () => () => void;
}

export function createRestRouter(deps: AppDeps, options: RestRouterOptions = {}): Router {
  const router = Router();
  const openApi = JSON.stringify(
    buildOpenApiDocument(tools, { version: deps.version, authRequired: !deps.config.auth.disabled }),
  );

  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(openApi);
  });
  router.get(TOOLS_PATH, (_req, res) => {
    res.json({ tools: toolDescriptions });
  });
  router.all(TOOLS_PATH, (req, res) => methodNotAllowed(req, res, 'GET'));
  router.post(`${TOOLS_PATH}/:name`, (req, res) => runTool(req, res, deps, options));
  router.all(`${TOOLS_PATH}/:name`, (req, res) => methodNotAllowed(req, res, 'POST'));
  return router;
}

function methodNotAllowed(req: Request, res: Response, allowed: string) {
  res.set('Allow', allowed);
  sendProblem(res, {
    title: 'Method not allowed',
    status: 405,
    detail: `${req.method} is not supported on ${req.path}; use ${allowed}.`,
  });
}

async function runTool(req: Request, res: Response, deps: AppDeps, { shuttingDown, beginWork }: RestRouterOptions) {
  const name = String(req.params.name);
  const tool = findTool(name);
  if (!tool) {
    sendProblem(res, {
      title: 'Unknown tool',
      status: 404,
      detail: `There is no tool named "${name}". GET ${TOOLS_PATH} lists them: ${tools.map((t) => t.name).join(', ')}.`,
    });
    return;
  }
  const body = readBody(req);
  if (body === UNSUPPORTED) {
    sendProblem(res, {
      title: 'Unsupported media type',
      status: 415,
      detail: `Send the tool input as JSON (Content-Type: application/json), not ${req.get('content-type')}.`,
    });
    return;
  }
  const parsed = (tool.inputSchema as z.ZodObject).safeParse(body);
  if (!parsed.success) {
    const errors = fieldErrors(parsed.error);
    sendProblem(res, {
      title: 'Invalid tool input',
      status: 400,
      detail: `The input for ${tool.name} is not valid: ${errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ')}.`,
      errors,
    });
    return;
  }

  // The client hanging up cancels the tool, which aborts the upstream LLM request.
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  // In flight until the tool has returned (not merely until the client left), so shutdown sees it settle.
  const done = beginWork?.();
  const run = await invokeTool(tool, parsed.data, deps, {
    signal: controller.signal,
    via: 'rest',
    shuttingDown,
  }).finally(() => done?.());
  if (res.headersSent || controller.signal.aborted) return;
  if (run.outcome === 'ok') {
    res.json(run.result.structured);
    return;
  }
  if (run.failure.status === 503) res.set('Retry-After', '5');
  sendProblem(res, {
    title: run.failure.title,
    status: run.failure.status,
    detail: run.failure.message,
    kind: run.failure.kind,
  });
}

const UNSUPPORTED = Symbol('unsupported');

/** The parsed JSON body; {} when there is none (tools without required input need no body). */
function readBody(req: Request): unknown {
  const length = Number(req.get('content-length') ?? 0);
  const hasBody = length > 0 || req.get('transfer-encoding') !== undefined;
  if (!hasBody) return {};
  if (!req.is('application/json') && !req.is('+json')) return UNSUPPORTED;
  // A body that is there is taken as sent: `null` or `[]` is not an input object (400), not an empty one.
  return req.body;
}

function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}
