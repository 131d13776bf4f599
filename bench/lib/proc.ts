// Starting servers pinned to one core, watching their memory and CPU, stopping them by pid.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RAW_DIR } from './paths.ts';

/** Settings given on a command line as KEY=VALUE words, for a server's environment. */
export function envFromPairs(pairs: string[], source: string): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`${source}: "${pair}" is not KEY=VALUE`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The core servers run on; the runner and load generators stay on LOAD_CORE. */
export const SERVER_CORE = process.env.BENCH_SERVER_CORE ?? '0';
export const LOAD_CORE = process.env.BENCH_LOAD_CORE ?? '1';

/** Every server and load generator still running, so an interrupted run (Ctrl-C, a crash) leaves none behind. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of live) child.kill('SIGKILL');
    process.exit(130);
  });
}

export interface ServerProcess {
  name: string;
  port: number;
  pid: number;
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  port: number;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Wait for this HTTP path to answer (any status below 500) instead of only a TCP connect. */
  readyPath?: string;
  readyHeaders?: Record<string, string>;
  timeoutMs?: number;
}

export async function startPinned(options: StartOptions): Promise<ServerProcess> {
  if (await isReady(options.port)) {
    throw new Error(
      `port ${options.port} is already in use: stop whatever listens there (ss -ltnp 'sport = :${options.port}') and rerun`,
    );
  }
  const logFile = join(RAW_DIR, `${options.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn('taskset', ['-c', SERVER_CORE, options.command, ...options.args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  live.add(child);
  let exited: string | undefined;
  child.on('exit', (code, signal) => {
    live.delete(child);
    exited = `exited with ${signal ?? code}`;
  });
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (true) {
    if (exited) throw new Error(`${options.name} ${exited} before it was ready; see ${logFile}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} was not ready on port ${options.port} in time; see ${logFile}`);
    }
    if (await isReady(options.port, options.readyPath, options.readyHeaders)) break;
    await sleep(50);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name} has no pid`);
  return {
    name: options.name,
    port: options.port,
    pid,
    child,
    logFile,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(timer);
      log.end();
    },
  };
}

async function isReady(port: number, path?: string, headers?: Record<string, string>): Promise<boolean> {
  if (!path) {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }
  try {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

/** Resident set size of a process in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    throw new Error(`server process ${pid} is gone (crashed?); see its log under bench/results/raw/`);
  }
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** RSS after the process has been left alone for a moment, so timers and lazy frees settle. */
export async function settledRss(pid: number, settleMs = 1_500): Promise<number> {
  await sleep(settleMs);
  return rssBytes(pid);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command to completion (pinned to the load core), capturing output. */
export function run(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; pin?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  const argv = options.pin === false ? [command, ...args] : ['taskset', '-c', LOAD_CORE, command, ...args];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: options.cwd, env: { ...process.env, ...options.env } });
    live.add(child);
    child.once('exit', () => live.delete(child));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
