// Request bodies on the MCP routes: JSON only (415 otherwise), bounded (413), and malformed JSON answered with a
// JSON-RPC parse error (-32700) instead of Express's HTML error page.
import { isJsonContentType } from '@modelcontextprotocol/server';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler } from 'express';
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

/**
 * The JSON body: a body of the usual shape — its length declared and within the limit, no content coding, UTF-8 —
 * is read and parsed here; any other (chunked, compressed, another charset, too large, none) goes to body-parser,
 * which answers the rare cases as it always did. Why two: body-parser's general path (media type and charset
 * parsing, raw-body, iconv's decoder) was ~8% of a legacy message's CPU (A/B, docs/performance.md). The errors
 * are body-parser's, by type, so the error handler answers both alike.
 */
export function jsonBody(config: Config): RequestHandler {
  const limit = config.security.maxBodyBytes;
  const general = express.json({
    limit,
    strict: false,
    type: (req) => isJsonContentType(String(req.headers['content-type'] ?? '')),
  });
  return (req, res, next) => {
    const { headers } = req;
    const length = Number(headers['content-length']);
    if (
      !(length > 0 && length <= limit) ||
      headers['transfer-encoding'] !== undefined ||
      headers['content-encoding'] !== undefined ||
      !isUtf8Json(headers['content-type']) ||
      req.readableEnded
    )
      return general(req, res, next);
    readJson(req, length, next);
  };
}

const UTF8_CHARSET = /;\s*charset\s*=\s*(?:utf-8|"utf-8")\s*$/i;

/** application/json, bare or with charset=utf-8 (and nothing else); other parameters go to body-parser. */
function isUtf8Json(type: string | undefined): boolean {
  if (type === undefined) return false;
  const parameters = type.indexOf(';');
  if (parameters === -1) return type === 'application/json' || isJsonContentType(type);
  return UTF8_CHARSET.test(type.slice(parameters)) && isJsonContentType(type);
}

/** Reads `length` bytes (Node's parser delivers exactly the declared length, or the request ends early). */
function readJson(req: Request, length: number, next: NextFunction): void {
  const chunks: Buffer[] = [];
  const onData = (chunk: Buffer) => chunks.push(chunk);
  const onEnd = () => {
    req.off('close', onClose);
    const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, length);
    // As body-parser's decoder does, a UTF-8 byte order mark is not part of the text.
    const text =
      bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.toString('utf8', 3) : bytes.toString('utf8');
    try {
      req.body = JSON.parse(text);
    } catch (error) {
      next(Object.assign(error as Error, { status: 400, type: 'entity.parse.failed' }));
      return;
    }
    next();
  };
  // The client went away (or the body deadline closed the socket) before the whole body arrived.
  const onClose = () => {
    req.off('data', onData);
    req.off('end', onEnd);
    next(Object.assign(new Error('request aborted'), { status: 400, type: 'request.aborted' }));
  };
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', onClose);
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
