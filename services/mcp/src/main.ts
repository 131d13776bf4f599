// Entry point: only wiring. Config -> logger, metrics, LLM provider -> app -> listen; signals -> graceful shutdown.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Config, ConfigError, loadConfig } from './config/index.ts';
import type { AppDeps } from './deps.ts';
import { type App, createApp } from './http/app.ts';
import { createLlmProvider } from './llm/index.ts';
import { createLogger } from './runtime/logger.ts';
import { createMetrics } from './runtime/metrics.ts';

/** Proxies (Traefik, ALBs) keep idle upstream connections for up to 90 s; we must not close them first. */
const KEEP_ALIVE_TIMEOUT_MS = 95_000;
/** How often Node looks for requests past their headers/request timeout (its default, 30 s, lets them linger). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** After the grace period: how long aborted calls get to unwind before the process exits. */
const ABANDONED_SETTLE_MS = 2_000;

function readVersion(): string {
  // src/main.ts and dist/main.js both sit one level below package.json.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = await createLogger(config);
  const metrics = createMetrics();
  const deps: AppDeps = { config, logger, metrics, llm: createLlmProvider(config.llm, logger), version: readVersion() };
  const built = createApp(deps);

  // Slow clients: the headers must arrive within MCP_HEADERS_TIMEOUT_SECONDS (Node enforces it). Node's own
  // requestTimeout is off: it runs until the response ends, so it would cut SSE streams; the body deadline
  // (MCP_REQUEST_TIMEOUT_SECONDS) is enforced by the app for requests that have a body (middleware/slow-body.ts).
  const server = createServer(
    {
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: config.security.headersTimeoutSeconds * 1000,
      requestTimeout: 0,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    built.listener,
  );
  server.listen(config.port, config.bindHost);
  server.once('error', (error) => {
    logger.fatal({ err: { message: error.message } }, 'cannot listen');
    process.exit(1);
  });
  server.once('listening', () => {
    const { port } = server.address() as AddressInfo;
    if (config.auth.disabled) {
      logger.warn(
        { explicit: config.auth.token === undefined && config.appEnv !== 'development' },
        'bearer auth is OFF: anyone who can reach this port can call the tools (set MCP_AUTH_TOKEN)',
      );
    }
    if (config.mcp.conformanceFixtures) logger.warn('conformance fixture tools (test_*) are registered');
    logger.info(
      {
        port,
        host: config.bindHost,
        version: deps.version,
        appEnv: config.appEnv,
        stateless: config.mcp.stateless,
        llm: { provider: deps.llm.name, model: deps.llm.model, baseUrl: deps.llm.baseUrl },
      },
      'listening',
    );
  });

  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    void shutdown(signal, server, built, deps).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: { message: String(error) } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Graceful shutdown: refuse new work (503), /readyz turns 503, streams that only wait for notifications end,
 * in-flight calls get SHUTDOWN_GRACE_SECONDS to finish, then every session, stream and connection is closed.
 */
async function shutdown(signal: NodeJS.Signals, server: Server, built: App, deps: AppDeps): Promise<void> {
  const { logger, config } = deps;
  const { lifecycle, mcp } = built;
  logger.info(
    { signal, inFlight: lifecycle.inFlight, streams: lifecycle.openStreams, sessions: mcp.sessions.size },
    'shutting down',
  );
  lifecycle.startDraining();
  // From here on no new work is accepted: every request but /healthz gets 503 with Connection: close. The
  // listener itself stays open during the drain so load balancers and probes see /readyz say 503 (and stop
  // routing here) rather than a refused connection; it closes once in-flight calls are done.
  mcp.endIdleStreams();
  const finished = await lifecycle.waitIdle(config.shutdownGraceSeconds * 1000);
  if (!finished)
    logger.warn(
      { inFlight: lifecycle.inFlight, graceSeconds: config.shutdownGraceSeconds },
      'grace period over; abandoning in-flight calls',
    );
  await mcp.close();
  lifecycle.endAllStreams();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  // Calls aborted just now finish quickly (and log how they ended); give them a moment before exiting.
  await lifecycle.waitIdle(ABANDONED_SETTLE_MS);
  await closed;
  logger.info({ signal }, 'shutdown complete');
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
}

await main();
