/**
 * An extra Docker engine (scripts/lib/dockerd.sh: the swarm bed's nodes, the reproducible-build engine) starts a
 * containerd of its own even where a system containerd listens at /run/containerd/containerd.sock, the one path
 * dockerd probes before starting its own. docker-ce + containerd.io hosts (GitHub's Ubuntu runners among them) have
 * one there; an engine that adopted it would share, and clean up, that containerd's state.
 *
 * The host is not touched: the scenario runs in a private mount namespace whose /run/containerd is a memory file
 * system holding a real containerd's socket (own root and state), so every other engine on the machine keeps seeing
 * the real /run/containerd. In there, scripts/repro/engine.sh starts an engine with the containerd image store and
 * imports an image; the image must land in the engine's own containerd and the system containerd must stay empty.
 * Needs root, util-linux (unshare), containerd and ctr: fails loudly otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { run, runOk } from '../helpers/docker.ts';
import { repoRoot } from '../helpers/paths.ts';

const engineScript = join(repoRoot, 'scripts', 'repro', 'engine.sh');

// Runs inside `unshare --mount --propagation private`: $1 the work directory, $2 engine.sh. Prints `key: value` lines.
const scenario = String.raw`
set -euo pipefail
work=$1 engine_script=$2
system_sock=/run/containerd/containerd.sock
mount -t tmpfs -o size=16m,mode=0711 fake-system-containerd /run/containerd
setsid containerd --config "$work/system-containerd.toml" >"$work/system-containerd.log" 2>&1 </dev/null &
echo $! >"$work/system-containerd.pid"
for _ in $(seq 100); do [ -S "$system_sock" ] && break; sleep 0.1; done
ctr -a "$system_sock" version >/dev/null
echo "system containerd: listening"
host=$(bash "$engine_script" up "$work/engine" containerd | sed -n 's/^DOCKER_HOST=//p')
tar -cf - -T /dev/null | docker -H "$host" import - mcp-stack-test/own-containerd:probe >/dev/null
echo "engine images: $(docker -H "$host" image ls --format '{{.Repository}}:{{.Tag}}' | tr '\n' ' ')"
echo "own containerd images: $(ctr -a "$work/engine/exec/containerd/containerd.sock" -n moby images ls -q | tr '\n' ' ')"
echo "system containerd namespaces: $(ctr -a "$system_sock" namespaces ls -q | tr '\n' ' ')"
echo "system containerd moby images: $(ctr -a "$system_sock" -n moby images ls -q | tr '\n' ' ')"
bash "$engine_script" down "$work/engine"
echo "engine: down"
`;

describe('an extra engine beside a system containerd', () => {
  let work = '';

  before(async () => {
    if (process.getuid?.() !== 0) throw new Error('this test needs root (mount namespaces, dockerd)');
    for (const tool of ['unshare', 'containerd', 'ctr', 'dockerd']) {
      const found = await run('sh', ['-c', `command -v ${tool}`]);
      if (found.code !== 0) throw new Error(`this test needs ${tool} (Debian: util-linux, containerd, docker.io)`);
    }
    work = await mkdtemp(join(tmpdir(), 'mcp-stack-own-containerd-'));
    // A real containerd with its own root and state, in the work directory; no CRI (it would open ports).
    await writeFile(
      join(work, 'system-containerd.toml'),
      [
        'version = 2',
        `root = "${work}/system-root"`,
        `state = "${work}/system-state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        '  address = "/run/containerd/containerd.sock"',
        '[plugins."io.containerd.internal.v1.opt"]',
        `  path = "${work}/system-opt"`,
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    if (!work) return;
    // Also after a failure inside the namespace: the engine and the containerd are found from the host.
    await run('bash', [engineScript, 'down', join(work, 'engine')], { timeoutMs: 120_000 });
    const pid = await readFile(join(work, 'system-containerd.pid'), 'utf8').catch(() => '');
    if (pid.trim()) await run('kill', ['-KILL', pid.trim()]);
    await rm(work, { recursive: true, force: true });
  });

  test('the engine keeps its images in a containerd of its own; the system containerd stays empty', async () => {
    const started = performance.now();
    const result = await runOk(
      'unshare',
      ['--mount', '--propagation', 'private', 'bash', '-c', scenario, 'scenario', work, engineScript],
      { timeoutMs: 300_000 },
    );
    const line = (key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(result.stdout)?.[1]?.trim();
    assert.equal(line('system containerd'), 'listening', result.stdout + result.stderr);
    assert.equal(line('engine images'), 'mcp-stack-test/own-containerd:probe', result.stdout + result.stderr);
    assert.equal(line('own containerd images'), 'docker.io/mcp-stack-test/own-containerd:probe');
    // dockerd's namespaces are moby and plugins.moby; a newer containerd may create others of its own (k8s.io).
    assert.doesNotMatch(line('system containerd namespaces') ?? '', /moby/, 'the engine used the system containerd');
    assert.equal(line('system containerd moby images'), '', 'the engine wrote into the system containerd');
    assert.equal(line('engine'), 'down');
    console.log(
      `[own-containerd] engine up, image, checks and down beside a system containerd in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  });

  test("the engine leaves the host's network as it was: the main engine's docker0 and routes stay", async () => {
    // dockerd told --bridge=none deletes the host's docker0 at start, cutting every container of the main engine off
    // its default network; one given no address for its bridge takes a pool the main engine's networks use.
    const hostNetwork = async () => {
      const links = (await runOk('ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout;
      const routes = (await runOk('ip', ['-4', 'route', 'show'])).stdout;
      return {
        docker0: (await runOk('ip', ['-o', '-4', 'addr', 'show', 'dev', 'docker0'])).stdout.replace(/^\d+: /, ''),
        bridges:
          links
            .match(/^\d+: ([^:@]+)/gm)
            ?.map((l) => l.replace(/^\d+: /, ''))
            .sort() ?? [],
        routes: routes.split('\n').filter(Boolean).sort(),
      };
    };
    const before = await hostNetwork().catch((error) => {
      throw new Error(`the main engine's default bridge docker0 is missing before the test: ${String(error)}`);
    });
    const engineDir = join(work, 'network-engine');
    await runOk('bash', [engineScript, 'up', engineDir, 'containerd'], { timeoutMs: 120_000 });
    try {
      const during = await hostNetwork();
      assert.equal(during.docker0, before.docker0, 'docker0 changed while the engine runs');
      // The engine adds its own bridge and that bridge's route, nothing else, and no route overlapping another.
      const added = during.routes.filter((r) => !before.routes.includes(r));
      assert.equal(added.length, 1, `routes added: ${added.join(' | ')}`);
      assert.match(added[0] ?? '', /^198\.18\.\d+\.0\/24 dev mcprepro/);
      assert.deepEqual(
        before.routes.filter((r) => !during.routes.includes(r)),
        [],
        'routes the engine took away',
      );
    } finally {
      await runOk('bash', [engineScript, 'down', engineDir], { timeoutMs: 120_000 });
    }
    assert.deepEqual(await hostNetwork(), before, 'the host network differs after the engine left');
  });
});
