import { localhostOnlyLookup } from '@mcp-stack/test-support/localhost';
import { Agent, fetch as undiciFetch } from 'undici';

/**
 * A fetch that reaches `https://<name>.localhost:<port>` on 127.0.0.1 and verifies the server's certificate
 * against our local CA (never `rejectUnauthorized: false`).
 *
 * Why a custom lookup: glibc does not resolve `*.localhost` without nss-myhostname, and Traefik routes by
 * Host, so the URL must carry the real host name. Pinning the name to 127.0.0.1 here is what a user's
 * `/etc/hosts` line or browser does; SNI and Host stay `mcp.localhost` and the certificate is checked
 * against that name.
 */
export interface LocalTlsClient {
  /** WHATWG-compatible fetch for the SDK transports and our raw checks. */
  fetch: typeof globalThis.fetch;
  /** The undici agent, for `undici.request` style calls. */
  agent: Agent;
  close(): Promise<void>;
}

export function createLocalTlsClient(caPem: string | Buffer): LocalTlsClient {
  const agent = new Agent({
    // HTTP/1.1 like Node's own fetch: the proxy traps we test (buffering, idle timeouts) are HTTP/1.1 ones.
    allowH2: false,
    connect: { ca: caPem, lookup: localhostOnlyLookup },
    // Event streams stay open for minutes; undici's defaults would cut them at 300 s of body inactivity,
    // which is longer than any test, but be explicit that the client is not the one cutting a stream.
    bodyTimeout: 0,
    headersTimeout: 60_000,
  });
  const boundFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return {
    fetch: boundFetch,
    agent,
    close: () => agent.close(),
  };
}

/** Plain-HTTP fetch to 127.0.0.1 (direct container ports, the Traefik `web` entrypoint). */
export function createPlainClient(): LocalTlsClient {
  const agent = new Agent({ connect: { lookup: localhostOnlyLookup }, bodyTimeout: 0, headersTimeout: 60_000 });
  const boundFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch: boundFetch, agent, close: () => agent.close() };
}
