/**
 * Preload (`node --import`) for tools run as child processes, e.g. the MCP conformance suite: `*.localhost`
 * resolves to 127.0.0.1 (see localhost.ts), every other name as usual. The CA comes from NODE_EXTRA_CA_CERTS.
 */
import dns, { type LookupOptions } from 'node:dns';
import { answerLoopback, isLocalhostName, type LookupCallback } from './localhost.ts';

const original = dns.lookup;

function lookup(hostname: string, options: LookupOptions | number | LookupCallback, callback?: LookupCallback): void {
  if (!isLocalhostName(hostname)) {
    (original as (h: string, o: unknown, c?: LookupCallback) => void)(hostname, options, callback);
    return;
  }
  const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
  const opts: LookupOptions = typeof options === 'object' && options !== null ? options : {};
  queueMicrotask(() => answerLoopback(opts, cb));
}

(dns as { lookup: unknown }).lookup = lookup;
