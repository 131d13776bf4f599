// Where log lines go: stdout, without ever stopping the service for them.
//   - Each line goes through process.stdout, which on a pipe (a container's stdout) hands it to the kernel at once
//     when the pipe has room: no thread hand-off per line (pino's default destination writes from libuv's thread
//     pool), and a line logged is a line written even if the process is killed right after.
//   - When the reader falls behind and the pipe is full, lines wait in memory and leave as it drains; the event
//     loop goes on. (pino's synchronous destination sleeps 100 ms on a full pipe and tries again, and every request
//     waits with it.)
//   - What waits is bounded: past `maxPendingBytes`, lines are dropped and counted, and the count is reported once
//     the pipe has drained (the logger logs it).
import type { Writable } from 'node:stream';

export const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** How long a flush at shutdown waits for a reader that may be gone. */
const FLUSH_TIMEOUT_MS = 2_000;

export interface LineSink {
  write(line: string): boolean;
  /** Calls back once the lines written so far have left, or after FLUSH_TIMEOUT_MS. */
  flush(callback: (error?: Error) => void): void;
  /** Told how many lines were dropped, once the pipe drained after dropping some. */
  onDropped?: (count: number) => void;
}

export function stdoutLines(out: Writable = process.stdout, maxPendingBytes = MAX_PENDING_BYTES): LineSink {
  let dropped = 0;
  const sink: LineSink = {
    write(line) {
      if (out.writableLength <= maxPendingBytes) return out.write(line);
      // The first drop waits for the drain that must follow: writes have been refused since 16 KB were waiting.
      if (dropped++ === 0) out.once('drain', reportDropped);
      return false;
    },
    flush(callback) {
      if (out.writableLength === 0) return callback();
      const done = () => {
        clearTimeout(timer);
        out.off('drain', done);
        callback();
      };
      const timer = setTimeout(done, FLUSH_TIMEOUT_MS);
      out.once('drain', done);
    },
  };
  const reportDropped = () => {
    const count = dropped;
    dropped = 0;
    sink.onDropped?.(count);
  };
  return sink;
}
