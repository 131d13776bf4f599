// pino JSON logs. Headers are never logged wholesale; the redact list is a second line of defence for any
// object that carries a credential by a well-known name.
import { pino, type Logger } from 'pino';
import type { Config } from '../config/index.ts';

export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.authorization',
  'token',
  '*.token',
  'apiKey',
  '*.apiKey',
  'api_key',
  '*.api_key',
  'password',
  '*.password',
];

export function createLogger(config: Pick<Config, 'logLevel' | 'appEnv'>, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'mcp', env: config.appEnv },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}
