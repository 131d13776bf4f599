// Every error the HTTP layer produces on MCP routes is a JSON-RPC error object, so MCP clients can show it.
import type { Response } from 'express';

export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InternalError: -32603,
  /** Implementation-defined server errors (-32000..-32099), as the SDK's own transports use them. */
  ServerError: -32000,
  SessionNotFound: -32001,
} as const;

export function sendJsonRpcError(
  res: Response,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).set(headers).type('application/json').send(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
