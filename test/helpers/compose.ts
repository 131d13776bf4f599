import {
  DockerComposeEnvironment,
  getContainerRuntimeClient,
  type StartedDockerComposeEnvironment,
  type StartedTestContainer,
} from 'testcontainers';
import { composeContainers, run, saveArtifact } from './docker.ts';
import { repoRoot } from './paths.ts';

export interface StackOptions {
  /** Unique per run (see uniqueName): containers, networks and volumes are prefixed with it. */
  project: string;
  /** Compose files relative to the repository root, e.g. ['compose.yaml']. */
  files: string[];
  /** Absolute path of the test env file (replaces the repository's .env entirely). */
  envFile: string;
  /** Per-run values (ports, directories, tokens) that cannot live in the env file. */
  env: Record<string, string>;
  /** Build the images compose builds (dev: mcp dev target, Inspector). */
  build?: boolean;
  startupTimeoutMs?: number;
}

/**
 * A compose project started by Testcontainers' DockerComposeEnvironment. Each container with a healthcheck is
 * waited on with Wait.forHealthCheck() (Testcontainers picks it when the container has one); one-shot services
 * must have exited successfully before their dependants start (depends_on in the compose files).
 *
 * Teardown is explicit and idempotent, runs after failures too, and does not depend on Ryuk: its image may not
 * be provisioned here (no registry).
 */
export class ComposeStack {
  readonly options: StackOptions;
  #started: StartedDockerComposeEnvironment | undefined;
  #down = false;

  constructor(options: StackOptions) {
    this.options = options;
  }

  get project(): string {
    return this.options.project;
  }

  /** The env compose runs with: the test env file's values are read by compose itself (--env-file). */
  get processEnv(): NodeJS.ProcessEnv {
    return { ...process.env, COMPOSE_PROJECT_NAME: this.project, ...this.options.env };
  }

  async up(): Promise<void> {
    const { project, files, envFile, env } = this.options;
    let environment = new DockerComposeEnvironment(repoRoot, files)
      .withProjectName(project)
      .withEnvironmentFile(envFile)
      .withEnvironment(env)
      .withStartupTimeout(this.options.startupTimeoutMs ?? 240_000);
    if (this.options.build) environment = environment.withBuild();
    // When a service does not come up, Testcontainers takes the project down before it rethrows, and the
    // containers' logs (the first thing a person needs) would go with it: keep them just before that down.
    const client = await getContainerRuntimeClient();
    const originalDown = client.compose.down.bind(client.compose);
    let savedLogs: string | undefined;
    client.compose.down = async (options, downOptions) => {
      if (options.projectName === project) savedLogs = await this.saveLogs('up-failed').catch(() => undefined);
      return originalDown(options, downOptions);
    };
    try {
      this.#started = await environment.up();
    } catch (error) {
      savedLogs ??= await this.saveLogs('up-failed').catch(() => undefined);
      throw new Error(`compose up of ${project} failed (logs: ${savedLogs ?? 'none'}): ${describe(error)}`);
    } finally {
      client.compose.down = originalDown;
    }
  }

  /** The container of `service` (replica 1 unless told). */
  container(service: string, replica = 1): StartedTestContainer {
    if (!this.#started) throw new Error(`${this.project} is not up`);
    return this.#started.getContainer(`${service}-${replica}`);
  }

  /** Every running container of a service (replicas), by the labels compose sets. */
  async containerIds(service: string): Promise<string[]> {
    return composeContainers(this.project, { service });
  }

  /** `docker compose <args>` on this project with the same files and env. */
  compose(args: string[]) {
    const { files, envFile } = this.options;
    return run(
      'docker',
      ['compose', '-p', this.project, ...files.flatMap((f) => ['-f', f]), '--env-file', envFile, ...args],
      { cwd: repoRoot, env: this.processEnv },
    );
  }

  async saveLogs(suffix = 'logs'): Promise<string> {
    const logs = await this.compose(['logs', '--no-color', '--timestamps']);
    return saveArtifact(`${this.project}-${suffix}.log`, logs.stdout + logs.stderr);
  }

  /** Logs kept for reading, then everything removed: containers, networks, volumes. Safe to call twice. */
  async down(): Promise<void> {
    if (this.#down) return;
    this.#down = true;
    await this.saveLogs().catch(() => undefined);
    const result = await this.compose(['down', '--volumes', '--remove-orphans', '--timeout', '10']);
    if (result.code !== 0) {
      throw new Error(`compose down of ${this.project} failed: ${result.stderr}`);
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error && typeof error === 'object' && 'err' in error) return String((error as { err: unknown }).err);
  return String(error);
}
