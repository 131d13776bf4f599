/**
 * `localhost` and every `*.localhost` name resolve to 127.0.0.1 (RFC 6761), as a user's /etc/hosts line or
 * browser makes them; glibc here does not (no nss-myhostname), and Traefik routes by Host, so the clients must
 * use the real host name. Anything else is refused: the tests may only talk to this machine.
 */
import type { LookupAddress, LookupOptions } from 'node:dns';

export type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

export function isLocalhostName(hostname: string): boolean {
  const name = hostname.toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost');
}

/** A `lookup` for undici/net connect options: *.localhost → 127.0.0.1, anything else an ENOTFOUND error. */
export function localhostOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  if (!isLocalhostName(hostname) && hostname !== '127.0.0.1') {
    const err: NodeJS.ErrnoException = new Error(`test client refuses to resolve ${hostname}: only *.localhost`);
    err.code = 'ENOTFOUND';
    callback(err, []);
    return;
  }
  answerLoopback(options, callback);
}

/** Answers a lookup with 127.0.0.1 in the shape the caller asked for (one address or `all`). */
export function answerLoopback(options: LookupOptions, callback: LookupCallback): void {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
}
