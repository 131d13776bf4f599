/**
 * `make build` is reproducible: the same commit and lockfile give the same image ID. Two builds of the production
 * image without any layer cache (BUILD_FLAGS=--no-cache), from this checkout, must come out identical; the
 * timestamps come from the commit (SOURCE_DATE_EPOCH, BuildKit's rewrite-timestamp), never from the clock.
 *
 * That needs a builder that supports both and can export an image tarball: an engine with the containerd image
 * store (Docker Engine 29's default for new installs, Docker Desktop's, or `"containerd-snapshotter": true` in
 * daemon.json), or a docker-container Buildx builder. The engine CI runs on has the classic store, where `make
 * build` falls back to an ordinary build and reports "NOT reproducible" (BUILD_REPRODUCIBLE=require makes that
 * fail). So the builds run on a throwaway engine with the containerd image store (scripts/repro/engine.sh: a
 * dockerd and containerd of its own, its data in memory, removed afterwards; needs root), into which the pinned
 * Node base image is copied from the main engine. Its builds use the host's network (--network=host): that engine
 * has no bridge of its own, and a build's network never enters the image.
 *
 * BUILD_REPRO_ENGINE=current runs the two builds on the engine DOCKER_HOST names instead, to check a builder of
 * your own (it must hold NODE_IMAGE or be able to pull it).
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

let engineDir = '';
/** The engine the builds run on: the throwaway one, or the caller's. */
let engineEnv: NodeJS.ProcessEnv = process.env;

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

function onEngine(args: string[]) {
  return runOk('docker', args, { env: engineEnv });
}

async function build(tag: string): Promise<{ id: string; output: string }> {
  const started = performance.now();
  const result = await run('make', ['--no-print-directory', 'build'], {
    cwd: repoRoot,
    env: {
      ...engineEnv,
      MCP_IMAGE: repository,
      IMAGE_TAG: tag,
      NODE_IMAGE,
      BUILD_FLAGS: `--no-cache ${throwaway ? '--network=host ' : ''}${process.env.BUILD_FLAGS ?? ''}`,
      BUILD_REPRODUCIBLE: 'require',
    },
    timeoutMs: 1_800_000,
  });
  const output = result.stdout + result.stderr;
  assert.equal(result.code, 0, output.slice(-3000));
  const id = (await onEngine(['image', 'inspect', '--format', '{{.Id}}', `${repository}:${tag}`])).stdout.trim();
  console.log(`[repro] build ${tag}: ${id} in ${seconds(started)} s`);
  return { id, output };
}

describe('make build: the same commit gives the same image ID', () => {
  before(async () => {
    await requireDockerEngine();
    if (!throwaway) return;
    let started = performance.now();
    engineDir = await mkdtemp(join(tmpdir(), 'mcp-stack-repro-'));
    const up = await runOk('bash', [engineScript, 'up', engineDir], { timeoutMs: 180_000 });
    const host = /^DOCKER_HOST=(\S+)$/m.exec(up.stdout)?.[1];
    assert.ok(host, `engine.sh up printed no DOCKER_HOST:\n${up.stdout}\n${up.stderr}`);
    engineEnv = { ...process.env, DOCKER_HOST: host };
    console.log(`[repro] throwaway engine (containerd image store) up in ${seconds(started)} s`);
    started = performance.now();
    await runOk('bash', [engineScript, 'load', engineDir, NODE_IMAGE], { timeoutMs: 600_000 });
    console.log(`[repro] ${NODE_IMAGE} copied into it in ${seconds(started)} s`);
  });

  after(async () => {
    if (engineDir) {
      await runOk('bash', [engineScript, 'down', engineDir], { timeoutMs: 300_000 });
    } else {
      for (const tag of ['first', 'second']) await run('docker', ['image', 'rm', '-f', `${repository}:${tag}`]);
    }
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
      await onEngine(['image', 'inspect', '--format', '{{.Created}}', `${repository}:first`])
    ).stdout.trim();
    assert.equal(
      Math.floor(Date.parse(created) / 1000),
      Number(commitTime),
      `image created ${created}, commit ${commitTime}`,
    );
  });
});
