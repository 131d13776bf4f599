// What the run happened on: cores, CPU, kernel, load, and the versions of everything measured.
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { BENCH_DIR, SERVICE_DIR } from './paths.ts';
import { LOAD_CORE, run, SERVER_CORE } from './proc.ts';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  wrk: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  serverCore: string;
  loadCore: string;
  packages: Record<string, string>;
  serviceVersion?: string;
  /** The commit the measured service source is at, with "+changes" when services/mcp has uncommitted edits. */
  serviceRevision?: string;
}

const PACKAGES = [
  '@modelcontextprotocol/server',
  '@modelcontextprotocol/node',
  '@modelcontextprotocol/express',
  '@modelcontextprotocol/server-legacy',
  '@modelcontextprotocol/sdk',
  '@modelcontextprotocol/client',
  'express',
  'zod',
];

/** The version installed where Node would resolve it from bench/ (some packages do not export package.json). */
function installedVersion(name: string): string | undefined {
  for (let dir = BENCH_DIR; ; dir = dirname(dir)) {
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) return undefined;
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const packages: Record<string, string> = {};
  for (const name of PACKAGES) packages[name] = installedVersion(name) ?? 'not installed';
  const wrk = await run('wrk', ['--version'], { pin: false }).catch(() => ({
    stdout: 'wrk not installed',
    stderr: '',
  }));
  let serviceVersion: string | undefined;
  try {
    serviceVersion = (JSON.parse(readFileSync(join(SERVICE_DIR, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    serviceVersion = undefined;
  }
  const head = await run('git', ['log', '-1', '--format=%h', '--', '.'], { pin: false, cwd: SERVICE_DIR }).catch(
    () => undefined,
  );
  const dirty = await run('git', ['status', '--porcelain', '--', '.'], { pin: false, cwd: SERVICE_DIR }).catch(
    () => undefined,
  );
  const serviceRevision =
    head?.code === 0 ? `${head.stdout.trim()}${dirty?.stdout.trim() ? '+changes' : ''}` : undefined;
  return {
    serviceRevision,
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    wrk: (wrk.stdout + wrk.stderr)
      .split('\n')[0]!
      .replace(/ Copyright.*/, '')
      .trim(),
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
    serverCore: SERVER_CORE,
    loadCore: LOAD_CORE,
    packages,
    serviceVersion,
  };
}
