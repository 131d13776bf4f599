/**
 * `make build` is reproducible: the same commit and lockfile give the same image ID. Two builds of the production
 * image without any layer cache (BUILD_FLAGS=--no-cache), from this checkout, must come out identical; the
 * timestamps come from the commit (SOURCE_DATE_EPOCH, BuildKit's rewrite-timestamp), never from the clock.
 *
 * That needs a builder that supports both and can export an image tarball: an engine with the containerd image
 * store (Docker Engine 29's default for new installs, Docker Desktop's, or `"containerd-snapshotter": true` in
 * daemon.json), or a docker-container Buildx builder. The engine CI runs on has the classic store, so the builds run
 * on a throwaway engine with the containerd image store (scripts/repro/engine.sh: a dockerd and containerd of its
 * own, its data in memory, removed afterwards, also after a failure; needs root), into which the pinned Node base
 * image is copied from the main engine. Its builds use the host's network (--network=host): that engine has no
 * bridge of its own, and a build's network never enters the image.
 *
 * A second throwaway engine with the classic store checks what its users get: `make build` builds but says the
 * image is NOT reproducible, and BUILD_REPRODUCIBLE=require refuses before building.
 *
 * BUILD_REPRO_ENGINE=current runs the two reproducible builds on the engine DOCKER_HOST names instead, to check a
 * builder of your own (it must hold NODE_IMAGE or be able to pull it). Prints its figures as `[repro]` lines.
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { imageFor } from '@mcp-stack/test-support/pins';
import { requireDockerEngine, run, runOk, uniqueName } from '../helpers/docker.ts';
import { repoRoot } from '../helpers/paths.ts';

const NODE_IMAGE = imageFor('NODE_IMAGE');
const repository = `mcp-stack-test/${uniqueName('repro')}`;
const throwaway = process.env.BUILD_REPRO_ENGINE !== 'current';
const engineScript = join(repoRoot, 'scripts', 'repro', 'engine.sh');

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

/** A throwaway engine (scripts/repro/engine.sh) with the given image store, holding NODE_IMAGE. */
class ThrowawayEngine {
  readonly store: 'containerd' | 'classic';
  dir = '';
  env: NodeJS.ProcessEnv = process.env;

  constructor(store: 'containerd' | 'classic') {
    this.store = store;
  }

  async up(): Promise<void> {
    let started = performance.now();
    this.dir = await mkdtemp(join(tmpdir(), `mcp-stack-repro-${this.store}-`));
    const up = await runOk('bash', [engineScript, 'up', this.dir, this.store], { timeoutMs: 180_000 });
    const host = /^DOCKER_HOST=(\S+)$/m.exec(up.stdout)?.[1];
    assert.ok(host, `engine.sh up printed no DOCKER_HOST:\n${up.stdout}\n${up.stderr}`);
    this.env = { ...process.env, DOCKER_HOST: host };
    console.log(`[repro] throwaway engine (${this.store} image store) up in ${seconds(started)} s`);
    started = performance.now();
    await runOk('bash', [engineScript, 'load', this.dir, NODE_IMAGE], { timeoutMs: 600_000 });
    console.log(`[repro] ${NODE_IMAGE} copied into it in ${seconds(started)} s`);
  }

  /** Removes everything up made; a teardown that leaves anything behind fails the suite. */
  async down(): Promise<void> {
    if (this.dir) await runOk('bash', [engineScript, 'down', this.dir], { timeoutMs: 300_000 });
  }
}

/**
 * `make build` of this checkout on the engine `env` names, without any layer cache; never throws on failure.
 * hostNetwork: the throwaway engines have no bridge network, so their builds use the host's.
 */
async function makeBuild(env: NodeJS.ProcessEnv, hostNetwork: boolean, tag: string, extra: NodeJS.ProcessEnv) {
  const started = performance.now();
  const result = await run('make', ['--no-print-directory', 'build'], {
    cwd: repoRoot,
    env: {
      ...env,
      MCP_IMAGE: repository,
      IMAGE_TAG: tag,
      NODE_IMAGE,
      BUILD_FLAGS: `--no-cache ${hostNetwork ? '--network=host ' : ''}${process.env.BUILD_FLAGS ?? ''}`,
      ...extra,
    },
    timeoutMs: 1_800_000,
  });
  return { code: result.code, output: result.stdout + result.stderr, seconds: seconds(started) };
}

function imageId(env: NodeJS.ProcessEnv, ref: string) {
  return run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { env });
}

describe('make build: the same commit gives the same image ID', () => {
  const engine = new ThrowawayEngine('containerd');
  /** The engine the builds run on: the throwaway one, or the caller's (BUILD_REPRO_ENGINE=current). */
  let env: NodeJS.ProcessEnv = process.env;

  async function build(tag: string): Promise<{ id: string; output: string }> {
    const result = await makeBuild(env, throwaway, tag, { BUILD_REPRODUCIBLE: 'require' });
    assert.equal(result.code, 0, result.output.slice(-3000));
    const inspected = await imageId(env, `${repository}:${tag}`);
    assert.equal(inspected.code, 0, inspected.stderr);
    const id = inspected.stdout.trim();
    console.log(`[repro] build ${tag}: ${id} in ${result.seconds} s`);
    return { id, output: result.output };
  }

  before(async () => {
    await requireDockerEngine();
    if (!throwaway) return;
    await engine.up();
    env = engine.env;
  });

  after(async () => {
    if (throwaway) await engine.down();
    else for (const tag of ['first', 'second']) await run('docker', ['image', 'rm', '-f', `${repository}:${tag}`]);
  });

  test('two builds without cache produce one image ID, stamped with the commit time', async () => {
    const first = await build('first');
    assert.match(first.output, /timestamps pinned to the commit/);
    const second = await build('second');
    assert.equal(
      second.id,
      first.id,
      `two builds of the same commit differ:\n${first.output.slice(-1500)}\n${second.output.slice(-1500)}`,
    );
    const commitTime = (await run('git', ['log', '-1', '--format=%ct'], { cwd: repoRoot })).stdout.trim();
    const created = (
      await runOk('docker', ['image', 'inspect', '--format', '{{.Created}}', `${repository}:first`], { env })
    ).stdout.trim();
    assert.equal(
      Math.floor(Date.parse(created) / 1000),
      Number(commitTime),
      `image created ${created}, commit ${commitTime}`,
    );
  });
});

// What a user on the classic image store (Debian's docker.io, Engine < 29 by default) gets: an honest answer.
// Its BuildKit honours SOURCE_DATE_EPOCH (so `created` is the commit time), but cannot rewrite the files' times.
describe('make build on the classic image store says the image is not reproducible', () => {
  const engine = new ThrowawayEngine('classic');

  before(async () => {
    await requireDockerEngine();
    await engine.up();
  });
  after(() => engine.down());

  test('BUILD_REPRODUCIBLE=require fails before building', async () => {
    const result = await makeBuild(engine.env, true, 'required', { BUILD_REPRODUCIBLE: 'require' });
    assert.notEqual(result.code, 0, result.output.slice(-3000));
    assert.match(result.output, /NOT reproducible: this builder \(the engine's classic image store\) cannot export/);
    assert.notEqual((await imageId(engine.env, `${repository}:required`)).code, 0, 'no image may be tagged');
  });

  test('by default it builds the image and says NOT reproducible', async () => {
    const result = await makeBuild(engine.env, true, 'plain', { BUILD_REPRODUCIBLE: '' });
    assert.equal(result.code, 0, result.output.slice(-3000));
    assert.match(result.output, /is sha256:[0-9a-f]{64}, NOT reproducible: the builder .* left the build's times/);
    assert.doesNotMatch(result.output, /timestamps pinned to the commit/);
    assert.equal((await imageId(engine.env, `${repository}:plain`)).code, 0, 'the image is kept');
    console.log(`[repro] classic store: built in ${result.seconds} s, reported NOT reproducible`);
  });
});
