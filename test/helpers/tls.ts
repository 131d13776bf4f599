import type { LookupAddress, LookupOptions } from 'node:dns';
import { readFile } from 'node:fs/promises';
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

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** Resolves `localhost` and every `*.localhost` name to 127.0.0.1 (RFC 6761), and nothing else. */
export function localhostOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  const name = hostname.toLowerCase();
  if (name !== 'localhost' && !name.endsWith('.localhost') && name !== '127.0.0.1') {
    // The tests may only talk to this machine; anything else is a bug in a test, so say so.
    const err: NodeJS.ErrnoException = new Error(`test client refuses to resolve ${hostname}: only *.localhost`);
    err.code = 'ENOTFOUND';
    callback(err, []);
    return;
  }
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
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

export async function createLocalTlsClientFromFile(caFile: string): Promise<LocalTlsClient> {
  return createLocalTlsClient(await readFile(caFile));
}

/** Plain-HTTP fetch to 127.0.0.1 (direct container ports, the Traefik `web` entrypoint). */
export function createPlainClient(): LocalTlsClient {
  const agent = new Agent({ connect: { lookup: localhostOnlyLookup }, bodyTimeout: 0, headersTimeout: 60_000 });
  const boundFetch = ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch: boundFetch, agent, close: () => agent.close() };
}
