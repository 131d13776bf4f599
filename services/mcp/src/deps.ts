// What every part of the service is handed at start: built once in main.ts, passed down, never global.
import type { Logger } from 'pino';
import type { Config } from './config/index.ts';
import type { LlmProvider } from './llm/types.ts';
import type { Metrics } from './runtime/metrics.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  llm: LlmProvider;
  metrics: Metrics;
  /** The service's own version (package.json), shown by server_info and the MCP handshake. */
  version: string;
}
