// Where log lines go: stdout, without ever stopping the service for them.
//   - The first line logged in a turn of the event loop is written at once; the others of that turn wait (the
//     stream is corked) and leave together, in one write at the end of the turn. Under load a turn finishes many
//     requests, and one system call per line (with the wake-up of the reader behind it) was the largest part of what
//     an access line cost; a quiet service still writes each line as it is logged. Nothing waits on a thread: the
//     write goes through process.stdout, which on a pipe (a container's stdout) hands it to the kernel at once when
//     the pipe has room.
//   - So a line is on stdout by the end of the turn that logged it, and before the process exits (the logger writes
//     what is pending on 'exit', even after process.exit() or an uncaught exception); a SIGKILL loses at most the
//     lines after the first of the turn it interrupts.
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
  /** Writes this turn's lines now (the logger calls it on 'exit'). */
  endTurn(): void;
  /** Calls back once the lines written so far have left, or after FLUSH_TIMEOUT_MS. */
  flush(callback: (error?: Error) => void): void;
  /** Told how many lines were dropped, once the pipe drained after dropping some. */
  onDropped?: (count: number) => void;
}

export function stdoutLines(out: Writable = process.stdout, maxPendingBytes = MAX_PENDING_BYTES): LineSink {
  let dropped = 0;
  let turn: 'quiet' | 'wrote' | 'corked' = 'quiet';
  const endTurn = () => {
    const was = turn;
    turn = 'quiet';
    if (was === 'corked') out.uncork();
  };
  const sink: LineSink = {
    write(line) {
      if (out.writableLength <= maxPendingBytes) {
        if (turn === 'quiet') {
          turn = 'wrote';
          setImmediate(endTurn);
        } else if (turn === 'wrote') {
          turn = 'corked';
          out.cork();
        }
        return out.write(line);
      }
      // The first drop waits for the drain that must follow: writes have been refused since 16 KB were waiting.
      if (dropped++ === 0) out.once('drain', reportDropped);
      return false;
    },
    endTurn,
    flush(callback) {
      endTurn();
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
