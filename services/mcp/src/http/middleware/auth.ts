// Static bearer-token auth. The token is compared in constant time (SHA-256 digests, so lengths never leak
// either); a failure answers 401 with a WWW-Authenticate challenge that points at our RFC 9728 document.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Config } from '../../config/index.ts';

export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** The public URL of the MCP endpoint: MCP_PUBLIC_URL, or what this request says it reached (behind a proxy, `trust proxy` makes that the outside view). */
export function resourceUrl(config: Config, req: Request): string {
  return config.auth.publicUrl ?? `${req.protocol}://${req.get('host') ?? 'localhost'}/mcp`;
}

export function resourceMetadataUrl(config: Config, req: Request): string {
  const resource = new URL(resourceUrl(config, req));
  return `${resource.origin}${PROTECTED_RESOURCE_PATH}${resource.pathname === '/' ? '' : resource.pathname}`;
}

/** RFC 9728 Protected Resource Metadata: tells clients this resource takes a bearer token in the header. */
export function protectedResourceMetadata(config: Config): RequestHandler {
  return (req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json({
      resource: resourceUrl(config, req),
      bearer_methods_supported: ['header'],
      resource_name: 'mcp-stack MCP server',
      // A static token has no authorization server; clients are configured with the token directly.
      authorization_servers: [],
    });
  };
}

export function bearerAuth(config: Config): RequestHandler {
  const token = config.auth.token;
  if (config.auth.disabled || token === undefined) return (_req, _res, next) => next();
  const expected = digest(token.reveal());
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const challenge = (error?: string, description?: string) => {
      const parts = ['Bearer realm="mcp"', `resource_metadata="${resourceMetadataUrl(config, req)}"`];
      if (error) parts.push(`error="${error}"`, `error_description="${description}"`);
      res.set('WWW-Authenticate', parts.join(', '));
      res.status(401).json({
        error: error ?? 'unauthorized',
        error_description: description ?? 'Send Authorization: Bearer <MCP_AUTH_TOKEN>.',
      });
    };
    if (!header) return challenge();
    if (!match) return challenge('invalid_request', 'The Authorization header must be "Bearer <token>".');
    if (!timingSafeEqual(digest(match[1] as string), expected)) return challenge('invalid_token', 'The bearer token is not valid.');
    next();
  };
}
