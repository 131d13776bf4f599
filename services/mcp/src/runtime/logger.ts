// pino logs: JSON lines for log pipelines, or (LOG_FORMAT=pretty, the default in development) pino-pretty's
// readable lines, the same events and the same redaction. Headers are never logged wholesale; the redact list is a
// second line of defence for any object that carries a credential by a well-known name.
import { type Logger, pino } from 'pino';
import type { Config } from '../config/index.ts';
import { stdoutLines } from './stdout-lines.ts';

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

/**
 * pino's ISO time, formatted once per millisecond: under load many lines fall in the same one, and formatting a
 * date was ~1.5% of a request's CPU.
 */
export function isoTimeOncePerMillisecond(now: () => number = Date.now): () => string {
  let formattedAt = Number.NaN;
  let field = '';
  return () => {
    const ms = now();
    if (ms !== formattedAt) {
      formattedAt = ms;
      field = `,"time":"${new Date(ms).toISOString()}"`;
    }
    return field;
  };
}

/** An explicit destination (tests) always gets JSON. Async: pino-pretty is loaded only when asked for. */
export async function createLogger(
  config: Pick<Config, 'logLevel' | 'appEnv'> & Partial<Pick<Config, 'logFormat'>>,
  destination?: pino.DestinationStream,
): Promise<Logger> {
  if (!destination && config.logFormat === 'pretty') {
    const { default: pinoPretty } = await import('pino-pretty');
    // In-process (no worker thread), written to process.stdout like the JSON lines (stdout-lines.ts): in order with
    // the process's other output, and never stopping the service when the reader lags (unbounded: development only).
    destination = pinoPretty({
      colorize: true,
      destination: process.stdout,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service,env',
    });
  }
  // JSON lines to stdout, a turn's lines in one write, never stopping the service when the reader lags
  // (stdout-lines.ts).
  const sink = destination ? undefined : stdoutLines();
  const logger = pino(
    {
      level: config.logLevel,
      base: { service: 'mcp', env: config.appEnv },
      timestamp: isoTimeOncePerMillisecond(),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? sink,
  );
  if (sink) {
    // What this turn logged leaves before the process does (process.exit(), an uncaught exception).
    process.once('exit', sink.endTurn);
    sink.onDropped = (count) =>
      logger.warn({ droppedLines: count }, 'stdout was not read fast enough: log lines were dropped');
  }
  return logger;
}
