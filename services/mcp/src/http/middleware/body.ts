// Request bodies on the MCP routes: JSON only (415 otherwise), bounded (413), and malformed JSON answered with a
// JSON-RPC parse error (-32700) instead of Express's HTML error page.
import { isJsonContentType } from '@modelcontextprotocol/server';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Config } from '../../config/index.ts';
import { JsonRpcCode, sendError, sendJsonRpcError } from '../../runtime/jsonrpc-error.ts';

export function requireJsonPost(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST') return next();
    const type = req.get('content-type');
    if (!type || !isJsonContentType(type)) {
      sendJsonRpcError(
        res,
        415,
        JsonRpcCode.InvalidRequest,
        `Unsupported Media Type: send the JSON-RPC message as Content-Type: application/json (got ${type ?? 'none'}).`,
      );
      return;
    }
    next();
  };
}

export function jsonBody(config: Config): RequestHandler {
  return express.json({
    limit: config.security.maxBodyBytes,
    strict: false,
    type: (req) => isJsonContentType(String(req.headers['content-type'] ?? '')),
  });
}

/**
 * The last error handler: body-parser failures get their proper status (in the route's error format); anything
 * else is a 500 without details.
 */
export function errorHandler(config: Config): ErrorRequestHandler {
  return (
    err: { type?: string; status?: number; message?: string; name?: string; stack?: string },
    req,
    res,
    _next,
  ) => {
    if (err.type === 'entity.parse.failed') {
      sendError(req, res, 400, JsonRpcCode.ParseError, 'Parse error: the request body is not valid JSON.');
      return;
    }
    if (err.type === 'entity.too.large') {
      sendError(
        req,
        res,
        413,
        JsonRpcCode.InvalidRequest,
        `Payload Too Large: the body limit is ${config.security.maxBodyBytes} bytes (MCP_MAX_BODY_BYTES).`,
      );
      return;
    }
    if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') {
      sendError(
        req,
        res,
        415,
        JsonRpcCode.InvalidRequest,
        `Unsupported Media Type: ${err.message ?? 'unsupported encoding'}.`,
      );
      return;
    }
    if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      sendError(req, res, err.status, JsonRpcCode.InvalidRequest, err.message ?? 'Bad request.');
      return;
    }
    // Logged under `error`, not `err`: pino's err serializer turns a plain object into {"type":"Object","stack":""}.
    req.log.error(
      { error: { name: err.name, message: err.message, type: err.type, stack: err.stack } },
      'unhandled error',
    );
    sendError(req, res, 500, JsonRpcCode.InternalError, `Internal error (request id ${req.id}).`);
  };
}
