// The real app (src/http/app.ts: the MCP fast path in front of Express, as main.ts serves it) in this process on
// an ephemeral port, with AppDeps the test controls.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppDeps } from '../../src/deps.ts';
import { type App, createApp } from '../../src/http/app.ts';

export interface ListeningApp {
  baseUrl: string;
  /** The app itself: its MCP sessions, for a test that looks at them. */
  app: App;
  /** Closes keep-alive connections that carry no request (each keeps its last request object). */
  closeIdleConnections(): void;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Sees every request and its response before the app does. */
  onRequest?: (req: IncomingMessage, res: ServerResponse) => void;
}

export async function listenApp(deps: AppDeps, { onRequest }: ListenOptions = {}): Promise<ListeningApp> {
  const app = createApp(deps);
  const server: Server = createServer((req, res) => {
    onRequest?.(req, res);
    app.listener(req, res);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    app,
    closeIdleConnections: () => server.closeIdleConnections(),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
