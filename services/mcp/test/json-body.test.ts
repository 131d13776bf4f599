// The JSON body middleware reads the usual bodies itself and hands the rest to body-parser: for every shape of
// body a client can send, what the route sees (the parsed body, or the error the error handler maps) must be what
// body-parser alone makes of it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isJsonContentType } from '@modelcontextprotocol/server';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { loadConfig } from '../src/config/index.ts';
import { jsonBody } from '../src/http/middleware/body.ts';
import { rawConnection, within } from './helpers/hostile.ts';

const LIMIT = 1024;
const config = loadConfig({ APP_ENV: 'development', LOG_LEVEL: 'silent', MCP_MAX_BODY_BYTES: String(LIMIT) });

/** What body-parser alone does with the service's options. */
const bodyParserOnly = express.json({
  limit: LIMIT,
  strict: false,
  type: (req) => isJsonContentType(String(req.headers['content-type'] ?? '')),
});

interface Seen {
  body?: unknown;
  error?: { type?: string; status?: number };
}

async function serve(middleware: RequestHandler): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const app = express();
  app.post('/', middleware, (req, res) => {
    seen.push({ body: req.body });
    res.json({ body: req.body ?? null });
  });
  const onError: ErrorRequestHandler = (err: { type?: string; status?: number }, _req, res, _next) => {
    seen.push({ error: { type: err.type, status: err.status } });
    res.status(err.status ?? 500).json({ type: err.type ?? null });
  };
  app.use(onError);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as AddressInfo).port, seen };
}

type Case = [name: string, headers: Record<string, string>, body: Buffer | string];
const json = { 'Content-Type': 'application/json' };
const message = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"server_info","arguments":{}}}';
const CASES: Case[] = [
  ['a JSON-RPC message', json, message],
  ['charset=utf-8', { 'Content-Type': 'application/json; charset=utf-8' }, message],
  ['charset="UTF-8"', { 'Content-Type': 'application/json;charset="UTF-8"' }, message],
  ['another parameter', { 'Content-Type': 'application/json; charset=utf-8; profile=x' }, message],
  ['a byte order mark', json, `\ufeff${message}`],
  ['non-ASCII text', json, '{"text":"žluťoučký kůň 🐎"}'],
  ['a JSON string, not an object', json, '"text"'],
  ['malformed JSON', json, '{"jsonrpc":'],
  ['only whitespace', json, '   '],
  ['an empty body', json, ''],
  ['a body at the limit', json, `"${'x'.repeat(LIMIT - 2)}"`],
  ['a body over the limit', json, `"${'x'.repeat(LIMIT)}"`],
  ['charset=utf-16', { 'Content-Type': 'application/json; charset=utf-16' }, message],
  ['charset=latin1', { 'Content-Type': 'application/json; charset=latin1' }, '{"text":"caf\u00e9"}'],
  ['gzip', { ...json, 'Content-Encoding': 'gzip' }, gzipSync(message)],
  ['an unknown coding', { ...json, 'Content-Encoding': 'snappy' }, message],
  ['text/plain', { 'Content-Type': 'text/plain' }, message],
];

/** Sends one raw request (so that Content-Length and Transfer-Encoding are exactly what the case says). */
async function send(port: number, headers: Record<string, string>, body: Buffer, chunked: boolean): Promise<void> {
  const framing = chunked ? { 'Transfer-Encoding': 'chunked' } : { 'Content-Length': String(body.length) };
  const head = Object.entries({ Host: 'localhost', Connection: 'close', ...headers, ...framing })
    .map(([name, value]) => `${name}: ${value}`)
    .join('\r\n');
  const connection = await rawConnection(port, `POST / HTTP/1.1\r\n${head}\r\n\r\n`);
  // The body in two writes, so that the reader sees it in more than one chunk.
  const half = Math.floor(body.length / 2);
  for (const part of [body.subarray(0, half), body.subarray(half)]) {
    if (chunked && part.length > 0) connection.socket.write(`${part.length.toString(16)}\r\n`);
    connection.socket.write(part);
    if (chunked && part.length > 0) connection.socket.write('\r\n');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (chunked) connection.socket.write('0\r\n\r\n');
  // What the route saw is the comparison: an answer sent before the body was read may be lost to the reset.
  assert.notEqual(await within(connection.closed, 5_000), 'timeout', 'answered and closed');
}

describe('the JSON body middleware', () => {
  let ours: Awaited<ReturnType<typeof serve>>;
  let theirs: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    ours = await serve(jsonBody(config));
    theirs = await serve(bodyParserOnly);
  });
  after(() => {
    ours.server.close();
    theirs.server.close();
  });

  for (const chunked of [false, true])
    for (const [name, headers, body] of CASES)
      it(`${name}${chunked ? ', chunked' : ''}: what body-parser makes of it`, async () => {
        const bytes = Buffer.from(body);
        await send(ours.port, headers, bytes, chunked);
        await send(theirs.port, headers, bytes, chunked);
        assert.equal(ours.seen.length, theirs.seen.length, 'one outcome per request');
        assert.deepEqual(ours.seen.at(-1), theirs.seen.at(-1));
      });

  it('a client that goes away mid-body ends the request with request.aborted, as body-parser does', async () => {
    for (const target of [ours, theirs]) {
      const connection = await rawConnection(
        target.port,
        `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"jsonrpc":`,
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      const before = target.seen.length;
      connection.socket.destroy();
      for (let i = 0; i < 100 && target.seen.length === before; i++) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(target.seen.at(-1), { error: { type: 'request.aborted', status: 400 } });
    }
  });
});
