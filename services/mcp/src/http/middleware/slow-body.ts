// A request body must arrive within MCP_REQUEST_TIMEOUT_SECONDS: a client trickling a body byte by byte would
// otherwise hold its socket (and a parser) for as long as it likes. Requests without a body (GET streams) are
// not touched, so SSE responses may stay open for hours.
import type { RequestHandler } from 'express';

export function bodyDeadline(seconds: number): RequestHandler {
  return (req, _res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody || req.complete) return next();
    const timer = setTimeout(() => {
      if (req.complete) return;
      req.log.info({ timeoutSeconds: seconds }, 'request body not received in time; closing the connection');
      req.socket.destroy();
    }, seconds * 1000);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    next();
  };
}
