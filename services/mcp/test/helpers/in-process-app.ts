// The real app (src/http/app.ts: the MCP fast path in front of Express, as main.ts serves it) in this process on
// an ephemeral port, with AppDeps the test controls.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppDeps } from '../../src/deps.ts';
import { createApp } from '../../src/http/app.ts';

export async function listenApp(deps: AppDeps): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const { listener } = createApp(deps);
  const server: Server = createServer(listener).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
