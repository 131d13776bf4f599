// The error contract (README "Errors"): every error on the MCP routes (/mcp, /sse, /messages and anything that is
// not REST) is a JSON-RPC error object, so MCP clients can show it; every error on the REST façade (/api/*,
// /openapi.json) is RFC 9457 application/problem+json. Middleware shared by both families answers with
// sendError, which picks the format from the path.
import type { Request, Response } from 'express';

export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InternalError: -32603,
  /** Implementation-defined server errors (-32000..-32099), as the SDK's own transports use them. */
  ServerError: -32000,
  SessionNotFound: -32001,
} as const;

/** The REST façade's paths: errors there are problem+json. */
export function isRestPath(path: string): boolean {
  return path === '/openapi.json' || path === '/api' || path.startsWith('/api/');
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  413: 'Payload too large',
  415: 'Unsupported media type',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Service unavailable',
};

/**
 * A refused request whose body has not been read yet: tell the client the connection ends here, so a client
 * trickling a large body cannot keep the socket once it has its answer (Node closes it after the response).
 */
function closeIfBodyPending(res: Response): void {
  const req = res.req as Request | undefined;
  if (req && !req.complete) res.set('Connection', 'close');
}

/** Writes an error answer, or only ends the response when it already started (a stream): there is no other way. */
function sendErrorBody(
  res: Response,
  status: number,
  type: string,
  body: () => unknown,
  headers: Record<string, string>,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  if (status >= 400) closeIfBodyPending(res);
  res.status(status).set(headers).type(type).send(JSON.stringify(body()));
}

export function sendJsonRpcError(
  res: Response,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendErrorBody(
    res,
    status,
    'application/json',
    () => ({ jsonrpc: '2.0', error: { code, message }, id: null }),
    headers,
  );
}

export function sendProblemJson(
  res: Response,
  status: number,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  const title = typeof extra.title === 'string' ? extra.title : (TITLES[status] ?? 'Error');
  sendErrorBody(
    res,
    status,
    'application/problem+json',
    () => ({ type: 'about:blank', title, status, detail, ...extra }),
    headers,
  );
}

/** An error from middleware shared by every route: problem+json on REST paths, a JSON-RPC error elsewhere. */
export function sendError(
  req: Request,
  res: Response,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (isRestPath(req.path)) sendProblemJson(res, status, message, {}, headers);
  else sendJsonRpcError(res, status, code, message, headers);
}
