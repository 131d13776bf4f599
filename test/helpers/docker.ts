import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { StartedTestContainer } from 'testcontainers';
import { artifactsDir, repoRoot } from './paths.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) and returns its output; never throws on a non-zero exit. */
export function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        cwd: options.cwd ?? repoRoot,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          // Not an exit status: the program could not run at all (ENOENT, timeout kill).
          reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like `run`, but a non-zero exit is an error that carries the program's output. */
export async function runOk(file: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const result = await run(file, args, options);
  if (result.code !== 0) {
    throw new Error(`${file} ${args.join(' ')} exited ${result.code}\n${result.stderr}\n${result.stdout}`.trim());
  }
  return result;
}

export function docker(args: string[], options: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  return runOk('docker', args, options);
}

/**
 * The containers compose made for `project`, one `format` line each (docker ps --format; the short id unless told):
 * the running ones, or with `all` the stopped ones too; only `service`'s when given.
 */
export async function composeContainers(
  project: string,
  options: { service?: string; all?: boolean; format?: string } = {},
): Promise<string[]> {
  const { stdout } = await runOk('docker', [
    'ps',
    ...(options.all ? ['-a'] : []),
    '--filter',
    `label=com.docker.compose.project=${project}`,
    ...(options.service ? ['--filter', `label=com.docker.compose.service=${options.service}`] : []),
    '--format',
    options.format ?? '{{.ID}}',
  ]);
  return stdout.split('\n').filter(Boolean);
}

/**
 * Fails loudly when there is no engine: these tests must never pass (or skip) without one.
 * Also decides about Ryuk: it is used when its image is provisioned locally (no registry here), otherwise
 * disabled — every test tears down explicitly either way.
 */
export async function requireDockerEngine(): Promise<void> {
  const info = await run('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (info.code !== 0) {
    throw new Error(
      'No Docker engine answers (`docker info` failed). The integration tests need one: run `bash .ci/run`, ' +
        `or start dockerd (bash scripts/ci/docker.sh).\n${info.stderr}`,
    );
  }
  const compose = await run('docker', ['compose', 'version', '--short']);
  if (compose.code !== 0 || !/^v?2\./.test(compose.stdout.trim())) {
    throw new Error(`Docker Compose v2 is required (docker compose version said: ${compose.stdout}${compose.stderr})`);
  }
  if (process.env.TESTCONTAINERS_RYUK_DISABLED === undefined) {
    const ryukImage = process.env.RYUK_CONTAINER_IMAGE ?? 'testcontainers/ryuk:0.14.0';
    const ryuk = await run('docker', ['image', 'inspect', ryukImage]);
    if (ryuk.code !== 0) process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  }
}

/** A name unique to this run, valid as a compose project, container or image name. */
export function uniqueName(prefix: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:T.Z]/g, '')
    .slice(4, 14);
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  State: { Status: string; ExitCode: number; Health?: { Status: string } };
  Config: {
    User: string;
    Env: string[];
    Labels: Record<string, string>;
    Image: string;
    Healthcheck?: { Test?: string[]; Interval?: number; StartInterval?: number };
  };
  HostConfig: {
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Privileged: boolean;
  };
  Mounts: { Type: string; Source: string; Destination: string; RW: boolean }[];
}

export async function inspectContainer(id: string): Promise<ContainerInspect> {
  const { stdout } = await docker(['inspect', id]);
  const [first] = JSON.parse(stdout) as ContainerInspect[];
  if (!first) throw new Error(`docker inspect ${id}: no such container`);
  return first;
}

/** Waits for `docker wait` (the container's exit) and returns its exit code: an event, not polling. */
export async function waitForExit(id: string): Promise<number> {
  const { stdout } = await docker(['wait', id]);
  return Number(stdout.trim());
}

/** Runs `docker exec` and returns stdout; the user defaults to the container's own. */
export async function execIn(id: string, command: string[]): Promise<RunResult> {
  return run('docker', ['exec', id, ...command]);
}

/**
 * Follows a container's logs (Testcontainers' log stream, from the container's start) until a line matches:
 * an event-based wait. Rejects when the log stream ends first.
 */
export async function waitForLogLine(container: StartedTestContainer, pattern: RegExp): Promise<string> {
  const stream = await container.logs();
  // That stream does not hold the event loop open by itself; without this, a wait with nothing else pending would
  // end the process instead of waiting.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (pattern.test(line)) return line;
    }
  } finally {
    clearInterval(keepAlive);
    stream.destroy();
  }
  throw new Error(`logs of ${container.getId()} ended without a line matching ${pattern}`);
}

/** Keeps a container's or project's logs for a person to read after a failure. */
export async function saveArtifact(name: string, content: string): Promise<string> {
  await mkdir(artifactsDir, { recursive: true });
  const file = join(artifactsDir, name);
  await writeFile(file, content);
  return file;
}
