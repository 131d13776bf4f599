/**
 * Preload (`node --import`) for tools we run as child processes, e.g. the MCP conformance suite: resolves
 * `*.localhost` to 127.0.0.1 (RFC 6761), as a user's /etc/hosts or browser would. glibc here does not, and
 * Traefik routes by Host, so the tools must use the real host name. The CA comes from NODE_EXTRA_CA_CERTS.
 */
import dns, { type LookupAddress, type LookupOptions } from 'node:dns';

type Callback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

const original = dns.lookup;

function patchedLookup(hostname: string, options: LookupOptions | number | Callback, callback?: Callback): void {
  const cb = (typeof options === 'function' ? options : callback) as Callback;
  const opts: LookupOptions = typeof options === 'object' && options !== null ? options : {};
  const name = hostname.toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) {
    if (opts.all) queueMicrotask(() => cb(null, [{ address: '127.0.0.1', family: 4 }]));
    else queueMicrotask(() => cb(null, '127.0.0.1', 4));
    return;
  }
  (original as (h: string, o: unknown, c: Callback) => void)(hostname, options, callback as Callback);
}

(dns as { lookup: unknown }).lookup = patchedLookup;
