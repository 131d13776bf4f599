// Static bearer-token auth. The token is compared in constant time (see tokenMatcher); a failure answers 401 with
// a WWW-Authenticate challenge that points at our RFC 9728 document, and a body in the route's error format whose
// message says what was wrong with the token.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from '../../config/index.ts';
import { JsonRpcCode, sendError } from '../../runtime/jsonrpc-error.ts';

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';
const MCP_RESOURCE_PATH = '/mcp';

/** Every comparison covers at least this many bytes, so how long it takes says nothing of the token's length. */
const COMPARED_BYTES = 256;

/**
 * A constant-time check of a presented token against the secret. Both are compared as zero-padded buffers of one
 * size, COMPARED_BYTES (or the secret's length, when longer), then by byte length, so the time taken depends on
 * the presented value, never on the secret's bytes, nor on its length up to that size. It replaced SHA-256
 * digests of both, which cost 3–5% of a request's CPU (docs/performance.md). The scratch buffer is
 * shared: the check is synchronous.
 */
export function tokenMatcher(secret: string): (presented: string) => boolean {
  const secretBytes = Buffer.from(secret);
  const size = Math.max(COMPARED_BYTES, secretBytes.length);
  const expected = Buffer.alloc(size);
  secretBytes.copy(expected);
  const scratch = Buffer.alloc(size);
  return (presented) => {
    scratch.fill(0);
    scratch.write(presented);
    // Padding makes "token" and "token\0" look alike: the byte length tells them apart.
    const samePadded = timingSafeEqual(scratch, expected);
    return samePadded && Buffer.byteLength(presented) === secretBytes.length;
  };
}

/**
 * The origin this request reached, as the client sees it. Behind a trusted proxy Express reads
 * X-Forwarded-Proto; anything but http/https there (a forged or broken header) counts as http, and a Host that is
 * not a valid authority as localhost, so a hostile header can neither break the URL nor inject a scheme.
 */
function requestOrigin(req: Request): string {
  const scheme = req.protocol === 'https' ? 'https' : 'http';
  const host = req.get('host') ?? 'localhost';
  const candidate = `${scheme}://${host}`;
  return URL.canParse(candidate) && new URL(candidate).host !== ''
    ? new URL(candidate).origin
    : `${scheme}://localhost`;
}

/** The public URL of the MCP endpoint: MCP_PUBLIC_URL, or what this request says it reached. */
export function resourceUrl(config: Config, req: Request): string {
  return config.auth.publicUrl ?? `${requestOrigin(req)}${MCP_RESOURCE_PATH}`;
}

export function resourceMetadataUrl(config: Config, req: Request): string {
  const resource = new URL(resourceUrl(config, req));
  return `${resource.origin}${PROTECTED_RESOURCE_PATH}${resource.pathname === '/' ? '' : resource.pathname}`;
}

/**
 * RFC 9728 Protected Resource Metadata: tells clients this resource takes a bearer token in the header. The
 * `resource` is the one the document's URL was built from (§3.3): the origin for the path-less URL, the MCP
 * endpoint for `.../mcp`. A static token has no authorization server, so `authorization_servers` is left out.
 */
export function protectedResourceMetadata(config: Config): RequestHandler {
  return (req, res) => {
    const mcp = new URL(resourceUrl(config, req));
    const suffix = req.path.slice(PROTECTED_RESOURCE_PATH.length);
    if (suffix !== '' && suffix !== '/' && suffix !== mcp.pathname) {
      sendError(
        req,
        res,
        404,
        JsonRpcCode.MethodNotFound,
        `No protected resource at ${suffix}; the MCP endpoint is ${mcp.pathname}.`,
      );
      return;
    }
    // Derived from Host / X-Forwarded-Proto unless MCP_PUBLIC_URL fixes it: caches must key on those.
    if (config.auth.publicUrl === undefined) res.set('Vary', 'Host, X-Forwarded-Host, X-Forwarded-Proto');
    res.set('Cache-Control', 'public, max-age=300').json({
      resource: suffix === '' || suffix === '/' ? mcp.origin : mcp.toString(),
      bearer_methods_supported: ['header'],
      resource_name: 'mcp-stack MCP server',
    });
  };
}

export function bearerAuth(config: Config): RequestHandler {
  const token = config.auth.token;
  if (config.auth.disabled || token === undefined) return (_req, _res, next) => next();
  const matches = tokenMatcher(token.reveal());
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const challenge = (message: string, error?: string, description?: string) => {
      const parts = ['Bearer realm="mcp"', `resource_metadata="${resourceMetadataUrl(config, req)}"`];
      if (error) parts.push(`error="${error}"`, `error_description="${description}"`);
      // MCP clients show the JSON-RPC message to their user: it says plainly what happened to the token.
      sendError(req, res, 401, JsonRpcCode.ServerError, message, { 'WWW-Authenticate': parts.join(', ') });
    };
    if (!header)
      return challenge('Unauthorized: no bearer token was sent; send Authorization: Bearer <MCP_AUTH_TOKEN>.');
    if (!match) {
      return challenge(
        'Unauthorized: the Authorization header was refused; it must be "Bearer <token>".',
        'invalid_request',
        'The Authorization header must be "Bearer <token>".',
      );
    }
    if (!matches(match[1] as string)) {
      return challenge(
        'Unauthorized: the bearer token was refused (not valid for this server; check MCP_AUTH_TOKEN).',
        'invalid_token',
        'The bearer token is not valid.',
      );
    }
    next();
  };
}
